-- An event takes its number as it is inserted: a trigger bumps the
-- merchant's counter and numbers the row with it. The merchant's row stays
-- locked until commit, as before, so a merchant's events are still numbered
-- in commit order; recording one is now a single statement, which lets a
-- change and its event be one statement too (no transaction round trips).
-- Whatever seq the INSERT gives is replaced.
CREATE FUNCTION events_take_seq() RETURNS trigger AS $$
BEGIN
    UPDATE merchants SET event_seq = event_seq + 1 WHERE id = NEW.merchant_id
    RETURNING event_seq INTO NEW.seq;
    IF NEW.seq IS NULL THEN
        RAISE EXCEPTION 'event % names no merchant', NEW.id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER events_take_seq BEFORE INSERT ON events
FOR EACH ROW EXECUTE FUNCTION events_take_seq();
