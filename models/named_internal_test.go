package models

import (
	"slices"
	"testing"
)

// TestCompileNamed: @names become $n, one number per name in order of
// first use, and quoted text (which may hold an @) is left alone.
func TestCompileNamed(t *testing.T) {
	st := compileNamed(`SELECT 'a@b' AS x, @vuser, CAST(@posts AS bigint[]) WHERE u = @vuser AND e <> 'it''s @late' AND n <= @n_2`)
	want := `SELECT 'a@b' AS x, $1, CAST($2 AS bigint[]) WHERE u = $1 AND e <> 'it''s @late' AND n <= $3`
	if st.sql != want {
		t.Errorf("sql = %s\nwant  %s", st.sql, want)
	}
	if !slices.Equal(st.names, []string{"vuser", "posts", "n_2"}) {
		t.Errorf("names = %v", st.names)
	}
	if again := compileNamed(`SELECT 'a@b' AS x, @vuser, CAST(@posts AS bigint[]) WHERE u = @vuser AND e <> 'it''s @late' AND n <= @n_2`); again != st {
		t.Error("the translation is made again instead of reused")
	}
}
