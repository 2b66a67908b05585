package models

import "testing"

func TestNullArrayLiterals(t *testing.T) {
	one, two := int64(1), int64(-22)
	if got := nullInt64Array([]*int64{&one, nil, &two}); got != `{1,NULL,-22}` {
		t.Errorf("nullInt64Array: %s", got)
	}
	if got := nullInt64Array(nil); got != `{}` {
		t.Errorf("nullInt64Array(nil): %s", got)
	}
	a, b, c := "abc", `q"u\o`, "NULL"
	if got := nullTextArray([]*string{&a, nil, &b, &c}); got != `{"abc",NULL,"q\"u\\o","NULL"}` {
		t.Errorf("nullTextArray: %s", got)
	}
}
