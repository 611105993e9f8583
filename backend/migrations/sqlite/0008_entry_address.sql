-- The number or address customers reach an entry point at, and a copy on each engagement
-- started through it (Smart Embed hosts read it as `to`).
ALTER TABLE entry_points ADD COLUMN address TEXT;
ALTER TABLE engagements ADD COLUMN entry_address TEXT;
