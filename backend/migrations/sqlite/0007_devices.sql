-- One widget at a time per agent: the device (a widget instance: a browser tab, the PWA, a CRM's
-- frame) that rings. A widget claims it when it is free or when the agent says "use here"; it
-- is freed a few seconds after the active widget's socket closes, unless that widget came back
-- (`active_device_at_ms`: its last claim or connection).
ALTER TABLE agents ADD COLUMN active_device TEXT;
ALTER TABLE agents ADD COLUMN active_device_at_ms BIGINT;
