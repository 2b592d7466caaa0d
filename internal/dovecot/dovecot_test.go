package dovecot

import "testing"

func TestEncodeMUTF7(t *testing.T) {
	// RFC 3501 §5.1.3 examples and Dovecot's on-disk names.
	test := func(in, want string) {
		t.Helper()
		if got := encodeMUTF7(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	test("INBOX", "INBOX")
	test("Entwürfe", "Entw&APw-rfe")
	test("A&B", "A&-B")
	test("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
}
