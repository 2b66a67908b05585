package web

import "github.com/aspenpod/aspen/pod"

// BasePage is embedded in every page: what the layout needs.
type BasePage struct {
	PodName   string
	CSRFToken string
	User      *CurrentUser
	Notice    string
	Alert     string
}

// CurrentUser is the signed-in user as the layout shows them.
type CurrentUser struct {
	Username string
	GUID     string
	Admin    bool
}

type homePage struct {
	Base              BasePage
	DiasporaID        string
	RegistrationsOpen bool
	Users             int64
}

type signUpPage struct {
	Base       BasePage
	Closed     bool
	Host       string
	Username   string
	Email      string
	InviteCode string
	Message    string
	Errors     map[string]string
}

type signInPage struct {
	Base              BasePage
	Login             string
	Remember          bool
	Message           string
	RegistrationsOpen bool
}

type settingsPage struct {
	Base BasePage
	pod.AccountSettings
	Errors map[string]string
}

type profilePage struct {
	Base    BasePage
	Profile *pod.ProfileView
}

type profileEditPage struct {
	Base        BasePage
	Form        pod.ProfileInput
	Avatar      string
	AvatarMaxMB int64
	Errors      map[string]string
}

type errorPage struct {
	Base    BasePage
	Heading string
	Message string
}
