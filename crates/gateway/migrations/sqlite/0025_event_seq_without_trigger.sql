-- The merchant's event counter is moved on by a statement of its own,
-- just before the event's insert reads it (webhooks/outbox/record.rs): a
-- trigger made every event insert a statement SQLite journals in case it
-- fails half-way, copying each page it changed first.
DROP TRIGGER events_take_seq;
