package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDefaultsNeedNoConfiguration(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != "development" || c.Host != "localhost:3000" || c.Listen != "127.0.0.1:3000" ||
		c.RedisURL != "redis://127.0.0.1:6379/0" || c.RSABits != 4096 || c.Registrations != "open" ||
		!strings.Contains(c.DatabaseURL, "127.0.0.1:5432/pod") || !c.AutoMigrate || !c.FederationInsecure {
		t.Fatalf("defaults: %+v", c)
	}
	if c.SMTP.Enabled() {
		t.Errorf("mail is on without POD_SMTP_HOST: %+v", c.SMTP)
	}
	if c.ConfirmSignups {
		t.Error("sign-up confirmation is on by default")
	}
	c, err = Load(env(map[string]string{"POD_SMTP_HOST": "mail.example.org", "POD_SMTP_FROM": "a@example.org", "POD_CONFIRM_SIGNUPS": "true"}))
	if err != nil || !c.ConfirmSignups {
		t.Errorf("POD_CONFIRM_SIGNUPS=true with mail: %v %v", err, c.ConfirmSignups)
	}
	if c.BaseURL() != "http://localhost:3000" {
		t.Errorf("BaseURL %q", c.BaseURL())
	}
}

func TestValidationNamesTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"POD_ENV":                 {"POD_ENV": "staging"},
		"POD_RSA_BITS":            {"POD_RSA_BITS": "lots"},
		"POD_REGISTRATIONS":       {"POD_REGISTRATIONS": "maybe"},
		"POD_HOST":                {"POD_HOST": "https://pod.example.org/"},
		"POD_LISTEN":              {"POD_LISTEN": "3000"},
		"POD_DATABASE_URL":        {"POD_DATABASE_URL": "mysql://x"},
		"POD_REDIS_URL":           {"POD_REDIS_URL": "http://x"},
		"POD_SECRET_KEY":          {"POD_ENV": "production", "POD_HOST": "pod.example.org"},
		"POD_FEDERATION_INSECURE": {"POD_ENV": "production", "POD_SECRET_KEY": strings.Repeat("s", 40), "POD_FEDERATION_INSECURE": "true"},
		"POD_AUTO_MIGRATE":        {"POD_AUTO_MIGRATE": "perhaps"},
		"POD_RETRY_UNIT":          {"POD_RETRY_UNIT": "soon"},
		"POD_TRUSTED_PROXIES":     {"POD_TRUSTED_PROXIES": "not-an-ip"},
		"POD_SMTP_FROM":           {"POD_SMTP_HOST": "mail.example.org"},
		"POD_SMTP_TLS":            {"POD_SMTP_HOST": "mail.example.org", "POD_SMTP_FROM": "a@example.org", "POD_SMTP_TLS": "ssl3"},
		"POD_SMTP_PORT":           {"POD_SMTP_HOST": "mail.example.org", "POD_SMTP_FROM": "a@example.org", "POD_SMTP_PORT": "99999"},
		"POD_SMTP_USER":           {"POD_SMTP_HOST": "mail.example.org", "POD_SMTP_FROM": "a@example.org", "POD_SMTP_PASSWORD": "pw"},
		"POD_CONFIRM_SIGNUPS":     {"POD_CONFIRM_SIGNUPS": "true"},
	}
	for name, vars := range cases {
		_, err := Load(env(vars))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s: error %v does not name %s", name, err, name)
		}
	}
}

// TestProductionRefusesAFastRetrySchedule: tests shorten the retry unit,
// production must not (retries would hammer other pods).
func TestProductionRefusesAFastRetrySchedule(t *testing.T) {
	_, err := Load(env(map[string]string{"POD_ENV": "production", "POD_SECRET_KEY": strings.Repeat("s", 40), "POD_RETRY_UNIT": "1ms"}))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "POD_RETRY_UNIT" {
		t.Fatalf("production with POD_RETRY_UNIT=1ms: %v", err)
	}
	if _, err := Load(env(map[string]string{"POD_ENV": "production", "POD_SECRET_KEY": strings.Repeat("s", 40), "POD_RETRY_UNIT": "2s"})); err != nil {
		t.Fatalf("production with POD_RETRY_UNIT=2s: %v", err)
	}
}

func TestProductionDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{"POD_ENV": "production", "POD_HOST": "Pod.Example.org", "POD_SECRET_KEY": strings.Repeat("k", 40)}))
	if err != nil {
		t.Fatal(err)
	}
	if c.FederationInsecure || c.BaseURL() != "https://pod.example.org" {
		t.Errorf("production: insecure=%v base=%s", c.FederationInsecure, c.BaseURL())
	}
}

func TestFileThenEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pod.env")
	os.WriteFile(path, []byte("# comment\nPOD_HOST=file.example.org\nexport POD_NAME=\"From File\"\nPOD_RSA_BITS=2048\n"), 0o600)
	c, err := Load(env(map[string]string{"POD_CONFIG_FILE": path, "POD_RSA_BITS": "3072"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "file.example.org" || c.PodName != "From File" || c.RSABits != 3072 {
		t.Errorf("got host=%s name=%s bits=%d", c.Host, c.PodName, c.RSABits)
	}
	os.WriteFile(path, []byte("HOST=x\n"), 0o600)
	if _, err := Load(env(map[string]string{"POD_CONFIG_FILE": path})); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad file line: %v", err)
	}
}

func TestEnsureSecretIsKeptAcrossRuns(t *testing.T) {
	c := Config{DataDir: t.TempDir()}
	if err := EnsureSecret(&c); err != nil || len(c.SecretKey) < 32 {
		t.Fatalf("EnsureSecret: %v %q", err, c.SecretKey)
	}
	again := Config{DataDir: c.DataDir}
	if err := EnsureSecret(&again); err != nil || again.SecretKey != c.SecretKey {
		t.Fatalf("second run got a different secret: %v", err)
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := Config{SecretKey: "supersecret", DatabaseURL: "postgres://u:pw@h/db", RedisURL: "redis://:rpw@h:6379/0", SMTP: SMTP{Password: "smtppw"}}
	r := c.Redacted()
	s := r.SecretKey + r.DatabaseURL + r.RedisURL + r.SMTP.Password
	if strings.Contains(s, "smtppw") {
		t.Errorf("redacted config shows the SMTP password")
	}
	if strings.Contains(s, "supersecret") || strings.Contains(s, "pw@") && strings.Contains(s, ":pw@") || strings.Contains(s, "rpw") {
		t.Errorf("redacted config shows secrets: %+v", r)
	}
}
