package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/internal/rsapub"
)

// PrivateContentType is the HTTP content type of a private envelope.
const PrivateContentType = "application/json"

// MaxPrivateSize bounds a private envelope body: the base64 of an AES
// encryption of an envelope of MaxEnvelopeSize, plus the key bundle.
const MaxPrivateSize = (MaxEnvelopeSize+aes.BlockSize)*4/3 + 8192

// Seal encrypts an envelope document for one recipient (§3.2): AES-256-CBC
// with a random key and IV and PKCS#7 padding, the {"key","iv"} bundle
// encrypted with the recipient's public key (RSAES-PKCS1-v1_5). It returns
// the JSON body {"aes_key", "encrypted_magic_envelope"} for
// POST /receive/users/:guid. To seal one document for many recipients use
// NewSealer: it encrypts the document once.
func Seal(envelopeDoc []byte, recipient *rsa.PublicKey) ([]byte, error) {
	s, err := NewSealer(envelopeDoc)
	if err != nil {
		return nil, err
	}
	return s.Seal(recipient)
}

// Sealer seals one envelope document for many recipients: the document is
// encrypted once, with one random AES key and IV, and each recipient's body
// carries that {"key","iv"} bundle encrypted with their own public key. All
// recipients may read the document, so sharing its encryption tells none of
// them more (a recipient who opens another's body reads what they got
// themselves); what stays per recipient is the RSA encryption, which only
// its recipient's private key opens. A Sealer is safe for concurrent use.
type Sealer struct {
	bundle []byte // {"key":"<44>","iv":"<24>"}
	tail   []byte // `","encrypted_magic_envelope":"<base64>"}`
}

// NewSealer encrypts envelopeDoc with a fresh random AES-256 key and IV
// (CBC, PKCS#7 padding).
func NewSealer(envelopeDoc []byte) (*Sealer, error) {
	var secret [48]byte // 32 key bytes, 16 IV bytes
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, err
	}
	key, iv := secret[:32], secret[32:]
	block, _ := aes.NewCipher(key)
	padLen := aes.BlockSize - len(envelopeDoc)%aes.BlockSize
	ct := make([]byte, len(envelopeDoc)+padLen)
	copy(ct, envelopeDoc)
	for i := len(envelopeDoc); i < len(ct); i++ {
		ct[i] = byte(padLen)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)

	bundle := make([]byte, 0, 88)
	bundle = append(bundle, `{"key":"`...)
	bundle = base64.StdEncoding.AppendEncode(bundle, key)
	bundle = append(bundle, `","iv":"`...)
	bundle = base64.StdEncoding.AppendEncode(bundle, iv)
	bundle = append(bundle, `"}`...)
	const mid = `","encrypted_magic_envelope":"`
	tail := make([]byte, 0, len(mid)+base64.StdEncoding.EncodedLen(len(ct))+2)
	tail = append(tail, mid...)
	tail = base64.StdEncoding.AppendEncode(tail, ct)
	tail = append(tail, `"}`...)
	return &Sealer{bundle: bundle, tail: tail}, nil
}

// Seal returns the private envelope body for one recipient: the key bundle
// encrypted with their public key, and the encrypted document.
func (s *Sealer) Seal(recipient *rsa.PublicKey) ([]byte, error) {
	if recipient == nil {
		return nil, federation.Errorf(federation.ErrKeyNotFound, "no recipient key")
	}
	encKey, err := rsapub.EncryptPKCS1v15(rand.Reader, recipient, s.bundle)
	if err != nil {
		return nil, federation.Wrap(federation.ErrInvalidKey, err, "encrypt key bundle (recipient key of %d bits)", recipient.N.BitLen())
	}
	const head = `{"aes_key":"`
	out := make([]byte, 0, len(head)+base64.StdEncoding.EncodedLen(len(encKey))+len(s.tail))
	out = append(out, head...)
	out = base64.StdEncoding.AppendEncode(out, encKey)
	out = append(out, s.tail...)
	return out, nil
}

type privateBody struct {
	AESKey    *string `json:"aes_key"`
	Encrypted *string `json:"encrypted_magic_envelope"`
}

type keyBundle struct {
	Key *string `json:"key"`
	IV  *string `json:"iv"`
}

// Open decrypts a private envelope body with the recipient's private key and
// returns the magic envelope document inside. Errors wrap
// federation.ErrTooLarge, ErrMalformed (not the expected JSON) or
// ErrDecryption.
func Open(body []byte, key *rsa.PrivateKey) ([]byte, error) {
	if len(body) > MaxPrivateSize {
		return nil, federation.Errorf(federation.ErrTooLarge, "private envelope is %d bytes, limit %d", len(body), MaxPrivateSize)
	}
	if key == nil {
		return nil, federation.Errorf(federation.ErrInvalidKey, "no recipient private key")
	}
	return open(body, func(c []byte) ([]byte, error) { return rsa.DecryptPKCS1v15(nil, key, c) })
}

// open is Open with the RSA step abstracted, so that the fuzz target can
// explore everything around it without paying for RSA on every input.
func open(body []byte, decrypt func([]byte) ([]byte, error)) ([]byte, error) {
	if len(body) > MaxPrivateSize {
		return nil, federation.Errorf(federation.ErrTooLarge, "private envelope is %d bytes, limit %d", len(body), MaxPrivateSize)
	}
	var pb privateBody
	if err := json.Unmarshal(body, &pb); err != nil {
		return nil, federation.Wrap(federation.ErrMalformed, err, "private envelope JSON")
	}
	if pb.AESKey == nil || pb.Encrypted == nil {
		return nil, federation.Errorf(federation.ErrMalformed, "private envelope needs aes_key and encrypted_magic_envelope")
	}
	encKey, err := entity.DecodeBase64Lenient(*pb.AESKey)
	if err != nil {
		return nil, federation.Wrap(federation.ErrMalformed, err, "aes_key is not base64")
	}
	ct, err := entity.DecodeBase64Lenient(*pb.Encrypted)
	if err != nil {
		return nil, federation.Wrap(federation.ErrMalformed, err, "encrypted_magic_envelope is not base64")
	}
	bundleJSON, err := decrypt(encKey)
	if err != nil {
		return nil, federation.Errorf(federation.ErrDecryption, "aes_key does not decrypt with the recipient key")
	}
	var kb keyBundle
	if err := json.Unmarshal(bundleJSON, &kb); err != nil || kb.Key == nil || kb.IV == nil {
		return nil, federation.Errorf(federation.ErrDecryption, "decrypted aes_key is not a {key, iv} bundle")
	}
	aesKey, err1 := entity.DecodeBase64Lenient(*kb.Key)
	iv, err2 := entity.DecodeBase64Lenient(*kb.IV)
	if err1 != nil || err2 != nil || len(aesKey) != 32 || len(iv) != aes.BlockSize {
		return nil, federation.Errorf(federation.ErrDecryption, "key bundle needs a 32-byte key and a 16-byte iv")
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, federation.Errorf(federation.ErrDecryption, "ciphertext length %d is not a positive multiple of %d", len(ct), aes.BlockSize)
	}
	block, _ := aes.NewCipher(aesKey)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(ct[len(ct)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, federation.Errorf(federation.ErrDecryption, "bad PKCS#7 padding (wrong key?)")
	}
	return ct[:len(ct)-pad], nil
}

// OpenAndParse opens a private envelope and parses the magic envelope in it.
// The signature still has to be checked with Verify.
func OpenAndParse(body []byte, key *rsa.PrivateKey) (*Envelope, error) {
	doc, err := Open(body, key)
	if err != nil {
		return nil, err
	}
	return Parse(doc)
}
