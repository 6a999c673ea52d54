-- Alerts marked as ticket work: handled as a ticket (no page needed) by whom and when, which
-- the load reports count in that person's shift.
CREATE TABLE alert_ticket_work (
    alert_id  TEXT PRIMARY KEY REFERENCES alerts (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    at        BIGINT NOT NULL
);
CREATE INDEX alert_ticket_work_by_time ON alert_ticket_work (at);

-- The load reports read each person's pages by delivery time.
CREATE INDEX notifications_pages_by_time ON notifications (deliver_at) WHERE purpose = 'page';
