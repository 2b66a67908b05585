// Package durability holds the tests that prove federation loses nothing
// when the job queue's Redis stops, the worker is killed in the middle of a
// fan-out, or PostgreSQL restarts. They stop and restart servers of their
// own (podtest.StartRedis, podtest.StartPostgres, a `pod worker` process),
// never the machine's shared ones.
package durability
