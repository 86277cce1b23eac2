"""Mutation testing of the examples: `make mutation [EXAMPLE=<folder>]`.

Each example's package is mutated by mutmut (a flipped comparison, a changed
constant, a dropped argument, a line replaced), and each mutant is run
against that example's own tests, as a user who copied the folder would run
them. A mutant the tests do not kill is either a gap in the tests or
equivalent: a change no behaviour can show. The equivalent ones are listed,
each with why, in equivalent/<folder>.toml; RESULTS.md has the table.
"""
