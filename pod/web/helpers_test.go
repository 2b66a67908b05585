package web_test

import "github.com/aspenpod/aspen/pod"

func signUpByOperator(name string) pod.SignUpInput {
	return pod.SignUpInput{Username: name, Email: name + "@example.org", Password: "password1", PasswordConfirmation: "password1", BypassRegistrations: true, Admin: true}
}
