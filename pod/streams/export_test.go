package streams

// SetHeadBuilt sets the hook run between a head page's database read and
// the read of its versions (nil: none).
func SetHeadBuilt(fn func()) { headBuilt = fn }
