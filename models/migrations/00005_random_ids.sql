-- +goose Up
-- New rows get random IDs instead of the next number of a sequence, so that
-- an ID someone can see tells nothing about other rows: with sequential IDs
-- an outsider who reads public posts 25, 26 and 28 but gets a 404 for 27
-- learns that 27 is a limited (or deleted) post, and the gaps between IDs
-- count the limited posts, comments, likes and notifications of others.
--
-- IDs are uniformly random in [1, 2^53 - 1]: still far too many to count or
-- guess, and every one is exact as a JSON number in JavaScript (which loses
-- precision above 2^53), so diaspy and browser clients keep reading the
-- numbers the JSON has always carried. Collisions are astronomically rare
-- and would only fail one insert with a unique violation.
--
-- The randomness is gen_random_uuid() (built into PostgreSQL 13 and later,
-- from the server's strong random source; pgcrypto is not needed): 60 of a
-- version-4 UUID's 122 random bits, reduced to the range above.
--
-- The columns keep their sequences (still owned by them, so
-- pg_get_serial_sequence, setval and TRUNCATE ... RESTART IDENTITY work, and
-- the seeder's explicit IDs need nothing new); only the default changes.
-- Internal tables whose IDs never leave the server keep their sequences:
-- key_pool (taken in order) and deliveries (the busiest insert of a
-- fan-out, where random keys would scatter its index).
--
-- Rows that exist already keep their IDs, as links to them must keep
-- working. Nothing may order rows by id to mean "older first": streams
-- order by (created_at, id), with id only breaking ties.

-- +goose StatementBegin
CREATE FUNCTION aspen_random_id() RETURNS bigint
    LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT ('x0' || substr(u, 1, 8) || substr(u, 10, 4) || substr(u, 16, 3))::bit(64)::bigint
        % 9007199254740991 + 1
    FROM (SELECT gen_random_uuid()::text AS u) r
$$;
-- +goose StatementEnd

ALTER TABLE people ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE users ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE profiles ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE invitation_codes ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE aspects ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE contacts ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE aspect_memberships ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE blocks ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE posts ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE comments ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE likes ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE tags ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE tag_followings ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE notifications ALTER COLUMN id SET DEFAULT aspen_random_id();
ALTER TABLE pods ALTER COLUMN id SET DEFAULT aspen_random_id();

-- +goose Down
ALTER TABLE people ALTER COLUMN id SET DEFAULT nextval('people_id_seq');
SELECT setval('people_id_seq', GREATEST((SELECT max(id) FROM people), 1));
ALTER TABLE users ALTER COLUMN id SET DEFAULT nextval('users_id_seq');
SELECT setval('users_id_seq', GREATEST((SELECT max(id) FROM users), 1));
ALTER TABLE profiles ALTER COLUMN id SET DEFAULT nextval('profiles_id_seq');
SELECT setval('profiles_id_seq', GREATEST((SELECT max(id) FROM profiles), 1));
ALTER TABLE invitation_codes ALTER COLUMN id SET DEFAULT nextval('invitation_codes_id_seq');
SELECT setval('invitation_codes_id_seq', GREATEST((SELECT max(id) FROM invitation_codes), 1));
ALTER TABLE aspects ALTER COLUMN id SET DEFAULT nextval('aspects_id_seq');
SELECT setval('aspects_id_seq', GREATEST((SELECT max(id) FROM aspects), 1));
ALTER TABLE contacts ALTER COLUMN id SET DEFAULT nextval('contacts_id_seq');
SELECT setval('contacts_id_seq', GREATEST((SELECT max(id) FROM contacts), 1));
ALTER TABLE aspect_memberships ALTER COLUMN id SET DEFAULT nextval('aspect_memberships_id_seq');
SELECT setval('aspect_memberships_id_seq', GREATEST((SELECT max(id) FROM aspect_memberships), 1));
ALTER TABLE blocks ALTER COLUMN id SET DEFAULT nextval('blocks_id_seq');
SELECT setval('blocks_id_seq', GREATEST((SELECT max(id) FROM blocks), 1));
ALTER TABLE posts ALTER COLUMN id SET DEFAULT nextval('posts_id_seq');
SELECT setval('posts_id_seq', GREATEST((SELECT max(id) FROM posts), 1));
ALTER TABLE comments ALTER COLUMN id SET DEFAULT nextval('comments_id_seq');
SELECT setval('comments_id_seq', GREATEST((SELECT max(id) FROM comments), 1));
ALTER TABLE likes ALTER COLUMN id SET DEFAULT nextval('likes_id_seq');
SELECT setval('likes_id_seq', GREATEST((SELECT max(id) FROM likes), 1));
ALTER TABLE tags ALTER COLUMN id SET DEFAULT nextval('tags_id_seq');
SELECT setval('tags_id_seq', GREATEST((SELECT max(id) FROM tags), 1));
ALTER TABLE tag_followings ALTER COLUMN id SET DEFAULT nextval('tag_followings_id_seq');
SELECT setval('tag_followings_id_seq', GREATEST((SELECT max(id) FROM tag_followings), 1));
ALTER TABLE notifications ALTER COLUMN id SET DEFAULT nextval('notifications_id_seq');
SELECT setval('notifications_id_seq', GREATEST((SELECT max(id) FROM notifications), 1));
ALTER TABLE pods ALTER COLUMN id SET DEFAULT nextval('pods_id_seq');
SELECT setval('pods_id_seq', GREATEST((SELECT max(id) FROM pods), 1));

DROP FUNCTION aspen_random_id();
