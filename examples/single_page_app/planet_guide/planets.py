"""The guide's data: eight planets, kept in code so the demo needs no database."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Planet:
    slug: str
    name: str
    kind: str
    year_days: int  # one orbit of the Sun, in Earth days
    summary: str


PLANETS = (
    Planet("mercury", "Mercury", "rocky", 88,
           "The smallest planet and the closest to the Sun."),
    Planet("venus", "Venus", "rocky", 225,
           "Its thick clouds trap enough heat to melt lead."),
    Planet("earth", "Earth", "rocky", 365,
           "The only planet known to hold liquid water on its surface."),
    Planet("mars", "Mars", "rocky", 687,
           "A cold desert with the tallest volcano in the Solar System."),
    Planet("jupiter", "Jupiter", "gas giant", 4333,
           "More massive than all the other planets together."),
    Planet("saturn", "Saturn", "gas giant", 10759,
           "Its rings are mostly ice, some pieces as big as houses."),
    Planet("uranus", "Uranus", "ice giant", 30687,
           "It spins on its side, so each pole has 42 years of daylight."),
    Planet("neptune", "Neptune", "ice giant", 60190,
           "The windiest planet: its storms blow faster than sound."),
)  # fmt: skip
BY_SLUG = {planet.slug: planet for planet in PLANETS}
