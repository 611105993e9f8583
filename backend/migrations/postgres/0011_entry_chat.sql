-- Web chat settings of an entry point (JSON: which pre-chat answers are required); null: the
-- entry point takes no chats from websites.
ALTER TABLE entry_points ADD COLUMN chat TEXT;
