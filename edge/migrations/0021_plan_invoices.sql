-- Which invoices an instalment plan covers, and what each had been paid
-- when it was proposed. Every plan covers its own invoice; "is this
-- invoice in a plan" is asked here, so that a plan may later cover a
-- customer's whole overdue balance (several invoices) without another
-- change to those questions.
CREATE TABLE plan_invoices (
    plan_id     TEXT NOT NULL REFERENCES payment_plans(id),
    invoice_id  TEXT NOT NULL REFERENCES invoices(id),
    start_paid  INTEGER NOT NULL,
    PRIMARY KEY (plan_id, invoice_id)
);
CREATE INDEX plan_invoices_by_invoice ON plan_invoices (invoice_id, plan_id);
INSERT INTO plan_invoices (plan_id, invoice_id, start_paid)
    SELECT id, invoice_id, start_paid FROM payment_plans;
