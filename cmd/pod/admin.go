package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aspenpod/aspen/cmd/internal/wire"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/federate"
)

const adminUsage = `usage: pod admin <verb> [arguments]

  create-user --username NAME --email ADDR [--password PW] [--admin]
                              create an account (reads the password from stdin when not given)
  make-admin NAME [--revoke]  grant or revoke admin rights
  reset-password NAME [--password PW]
                              set a new password (stdin when not given) and sign the user out
  fill-keys [--count N]       generate key pairs for the sign-up pool now
  close-account NAME          close an account for good: its data is deleted here and on the
                              pods that knew it, the name stays reserved (the worker does it)
  role NAME --role moderator|admin [--revoke]
                              grant or revoke a staff role (ends the user's sessions)
  registrations open|closed|approval
                              switch registrations now (as the admins' settings page does)
  block-pod DOMAIN [--silence] [--no-subdomains] [--reason TEXT]
                              block (or silence) a remote pod's domain
  unblock-pod DOMAIN          lift a block or silence

Load tooling (seed, bench) is the separate command podload (cmd/podload).
`

func admin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return usageError("admin: missing verb")
		}
		return nil
	}
	verb, rest := args[0], args[1:]
	fs := flag.NewFlagSet("admin "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password (read from stdin when empty)")
	makeAdmin := fs.Bool("admin", false, "make the new user an admin")
	revoke := fs.Bool("revoke", false, "revoke admin rights instead of granting them")
	count := fs.Int("count", 0, "key pairs to have ready (default POD_KEY_POOL_SIZE)")
	role := fs.String("role", "", "moderator or admin")
	silence := fs.Bool("silence", false, "silence the pod instead of blocking it")
	noSub := fs.Bool("no-subdomains", false, "leave the domain's subdomains alone")
	reason := fs.String("reason", "", "why (shown to admins)")
	// Accept the name before or after the flags.
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return usageError("admin " + verb + ": " + err.Error())
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}
	name := *username
	if name == "" && len(positional) > 0 {
		name = positional[0]
	}
	readPassword := func() (string, error) {
		if *password != "" {
			return *password, nil
		}
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, nil
		}
		return "", usageError("admin " + verb + ": give --password or the password on stdin")
	}

	switch verb {
	case "create-user", "make-admin", "reset-password", "fill-keys", "close-account", "role", "registrations", "block-pod", "unblock-pod":
	default:
		fmt.Fprint(stderr, adminUsage)
		return usageError(fmt.Sprintf("admin: unknown verb %q", verb))
	}
	if verb != "fill-keys" && name == "" {
		return usageError("admin " + verb + ": give a username, mode or domain")
	}
	cfg, err := wire.LoadConfig()
	if err != nil {
		return err
	}
	e, err := wire.Setup(ctx, cfg, wire.NewLogger(cfg, stderr), wire.SchemaAsConfigured)
	if err != nil {
		return err
	}
	defer e.Close()

	switch verb {
	case "create-user":
		if *email == "" {
			return usageError("admin create-user: give --email")
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		u, err := e.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: name, Email: *email, Password: pw, PasswordConfirmation: pw, Admin: *makeAdmin, BypassRegistrations: true, AllowReserved: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s@%s (admin: %v)\n", u.Username, cfg.Host, u.Admin)
	case "make-admin":
		if err := e.App.Accounts.MakeAdmin(ctx, name, !*revoke); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is %s\n", name, map[bool]string{true: "no longer an admin", false: "now an admin"}[*revoke])
	case "reset-password":
		pw, err := readPassword()
		if err != nil {
			return err
		}
		if err := e.App.Accounts.ResetPassword(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions have ended\n", name)
	case "close-account":
		if err := e.App.Accounts.CloseAccountByUsername(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account of %s closed; the worker deletes its data and tells the other pods\n", name)
	case "role":
		if *role == "" {
			return usageError("admin role: give --role moderator or --role admin")
		}
		if err := e.App.Moderation.SetRoleByName(ctx, name, *role, !*revoke); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s role %s\n", name, *role, map[bool]string{true: "revoked", false: "granted"}[*revoke])
	case "registrations":
		if err := e.App.Moderation.SetRegistrations(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registrations are now %s\n", strings.ToLower(name))
	case "block-pod":
		severity := models.SeverityBlock
		if *silence {
			severity = models.SeveritySilence
		}
		if err := e.App.Federate.OperatorBlockPod(ctx, federate.BlockInput{Domain: name, Subdomains: !*noSub, Severity: severity, Reason: *reason}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", name, severity)
	case "unblock-pod":
		if err := e.App.Federate.OperatorUnblockPod(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: no longer blocked or silenced\n", name)
	case "fill-keys":
		n := *count
		if n == 0 {
			n = cfg.KeyPoolSize
		}
		added, err := e.App.Accounts.FillKeyPool(ctx, cfg.RSABits, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %d key pairs of %d bits\n", added, cfg.RSABits)
	}
	return nil
}
