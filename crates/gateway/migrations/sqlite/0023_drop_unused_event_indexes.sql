-- Two indexes on events that no query uses any more: lists, the stream and
-- the latest number go by (merchant_id, seq) or (merchant_id, type, seq),
-- retention by created_at alone. Each cost every new event two more index
-- inserts (and log pages) inside the write turn.
DROP INDEX events_by_merchant;
DROP INDEX events_seq;
