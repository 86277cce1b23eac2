-- Applied every time the app starts, so every statement must be safe to
-- run again: IF NOT EXISTS, never DROP. `flask init-db` does the wiping.
--
-- The CHECKs repeat the form's validation (views.py), so a bug in the Python
-- code or a hand-written INSERT cannot store a blank title or a huge body.
CREATE TABLE IF NOT EXISTS note (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200 AND trim(title) <> ''),
  body TEXT NOT NULL DEFAULT '' CHECK (length(body) <= 10000),
  created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
