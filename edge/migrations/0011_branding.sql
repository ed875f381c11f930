-- Branding beyond a name and a colour: an accent colour, the email sender's
-- name and reply-to address, a footer, the default language and currency,
-- and an uploaded logo (its R2 key; `logo_url` then points at it).
ALTER TABLE organizations ADD COLUMN accent_color TEXT;
ALTER TABLE organizations ADD COLUMN sender_name TEXT;
ALTER TABLE organizations ADD COLUMN reply_to TEXT;
ALTER TABLE organizations ADD COLUMN footer_text TEXT;
ALTER TABLE organizations ADD COLUMN default_locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE organizations ADD COLUMN default_currency TEXT;
ALTER TABLE organizations ADD COLUMN logo_key TEXT;
