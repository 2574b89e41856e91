-- An event is inserted numbered one past its merchant's counter, and a
-- trigger moves the counter to it: recording an event is one statement
-- (the one writer of a SQLite database needs no lock to keep the order).
CREATE TRIGGER events_take_seq AFTER INSERT ON events
BEGIN
    UPDATE merchants SET event_seq = NEW.seq WHERE id = NEW.merchant_id;
END;
