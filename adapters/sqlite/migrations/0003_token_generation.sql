-- Each user's token generation: every token carries the generation it was issued at, and
-- signing out everywhere or changing the password raises it, which revokes older tokens.

ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
