package media

import (
	"errors"
	"fmt"
)

// Kinds of upload problems. Each is the Kind of an *Error returned by
// Process; test for them with errors.Is. Their messages, and those of the
// *Error values that carry them, are written for the person who uploaded
// the file.
var (
	// ErrTooLarge means the upload has more bytes than Limits.MaxBytes.
	ErrTooLarge = errors.New("the image file is too large")
	// ErrUnsupported means the content is not a JPEG, PNG, WebP or GIF
	// image, whatever the file's name says.
	ErrUnsupported = errors.New("the file is not a JPEG, PNG, WebP or GIF image")
	// ErrTooManyPixels means the image's dimensions exceed Limits.MaxSide
	// or Limits.MaxPixels. It guards against decompression bombs.
	ErrTooManyPixels = errors.New("the image has too many pixels")
	// ErrCorrupt means the content looks like a supported format but could
	// not be decoded: it is truncated, damaged, or uses a variant the
	// decoders do not handle (such as animated WebP).
	ErrCorrupt = errors.New("the image file is damaged or uses a feature that is not supported")
)

// Error is a problem with the uploaded file itself, one the uploader can fix
// by sending another file. Error() is a message fit to show the uploader; it
// never contains internals. The web layer should answer with a 4xx and show
// it in the form; anything that is not an *Error is a server fault.
type Error struct {
	// Kind is ErrTooLarge, ErrUnsupported, ErrTooManyPixels or ErrCorrupt.
	Kind error
	// Msg is the message for the uploader; empty means Kind's message.
	Msg string
	// Err is the underlying cause, for logs; it is not part of Error().
	Err error
}

// Error returns the message for the uploader.
func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Kind.Error()
}

// Unwrap returns Kind and, when present, the underlying cause, so that
// errors.Is(err, ErrTooLarge) and friends work.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// IsUploadError reports whether err (or anything it wraps) is an *Error,
// that is a problem with the uploaded file rather than with the server. Show
// such errors to the uploader with UploadMessage.
func IsUploadError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// UploadMessage returns the uploader-facing message of the *Error inside
// err, and false if err is not an upload error.
func UploadMessage(err error) (string, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return "", false
	}
	return e.Error(), true
}

// humanBytes formats n bytes the way people read file sizes: "4 MB",
// "1.5 MB", "512 KB", "100 bytes". It uses binary multiples.
func humanBytes(n int64) string {
	const (
		kb = 1 << 10
		mb = 1 << 20
		gb = 1 << 30
	)
	unit := func(div int64, name string) string {
		if n%div == 0 {
			return fmt.Sprintf("%d %s", n/div, name)
		}
		return fmt.Sprintf("%.1f %s", float64(n)/float64(div), name)
	}
	switch {
	case n >= gb:
		return unit(gb, "GB")
	case n >= mb:
		return unit(mb, "MB")
	case n >= kb:
		return unit(kb, "KB")
	case n == 1:
		return "1 byte"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// humanPixels formats a pixel count as megapixels: "40 megapixels",
// "2.5 megapixels", or plain pixels below one megapixel.
func humanPixels(n int64) string {
	const mp = 1_000_000
	switch {
	case n >= mp && n%mp == 0:
		return fmt.Sprintf("%d megapixels", n/mp)
	case n >= mp:
		return fmt.Sprintf("%.1f megapixels", float64(n)/mp)
	default:
		return fmt.Sprintf("%d pixels", n)
	}
}

func tooLarge(limit int64) error {
	return &Error{Kind: ErrTooLarge, Msg: "the image is larger than " + humanBytes(limit)}
}

func unsupported(detected string) error {
	return &Error{Kind: ErrUnsupported, Err: fmt.Errorf("detected content type %q", detected)}
}

func corrupt(format string, cause error) error {
	return &Error{Kind: ErrCorrupt, Err: fmt.Errorf("decode %s: %w", format, cause)}
}

func tooManyPixels(w, h int, lim Limits) error {
	return &Error{
		Kind: ErrTooManyPixels,
		Msg: fmt.Sprintf("the image is %d×%d pixels; the most allowed is %d pixels on a side and %s in total",
			w, h, lim.MaxSide, humanPixels(lim.MaxPixels)),
	}
}
