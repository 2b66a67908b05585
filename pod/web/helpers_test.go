package web_test

import (
	"github.com/aspenpod/aspen/pod/accounts"
)

func signUpByOperator(name string) accounts.SignUpInput {
	return accounts.SignUpInput{Username: name, Email: name + "@example.org", Password: "password1", PasswordConfirmation: "password1", BypassRegistrations: true, Admin: true}
}
