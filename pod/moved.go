package pod

import "fmt"

// MovedError: the person asked for moved to another identity (a received
// account_migration); GUID and DiasporaID name the identity they use now.
// Pages answer with a redirect to it.
type MovedError struct {
	From       string
	GUID       string
	DiasporaID string
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("%s moved to %s", e.From, e.DiasporaID)
}

// Is makes errors.Is(err, ErrNotFound) hold: the old identity itself is
// gone.
func (e *MovedError) Is(target error) bool { return target == ErrNotFound }
