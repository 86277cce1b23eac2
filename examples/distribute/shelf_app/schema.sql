-- Shipped inside the package (package-data in pyproject.toml) and read with
-- app.open_resource(), which finds it beside __init__.py wherever pip put it.
-- Applied on every start, so it must be safe to run again: IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS book (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200 AND trim(title) <> ''),
  author TEXT NOT NULL DEFAULT '' CHECK (length(author) <= 100),
  added TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
