-- A chat message may carry one file (an image or a PDF). The file is in the blob store under
-- attachments/{engagement_id}/{message_id}, written before the message row commits; these
-- columns are what the conversation shows about it. All NULL for a message without a file.
ALTER TABLE messages ADD COLUMN attachment_name TEXT;
ALTER TABLE messages ADD COLUMN attachment_type TEXT;
ALTER TABLE messages ADD COLUMN attachment_size BIGINT;
