-- The payments export reads an organization's ledger in id order.
CREATE INDEX payments_by_org ON payments (organization_id, id);
