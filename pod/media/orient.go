package media

import (
	"encoding/binary"
	"image"
)

// jpegOrientation returns the EXIF orientation (1 to 8) of a JPEG file, or 1
// when there is none or it cannot be read. It walks the marker segments up
// to the first scan and reads only the orientation tag of IFD0 in the first
// EXIF APP1 segment. Every read is bounds-checked and every step moves
// forward, so it neither panics nor loops on hostile input.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+1 < len(b) {
		if b[i] != 0xFF {
			return 1 // not at a marker: give up rather than guess
		}
		m := b[i+1]
		if m == 0xFF { // fill byte before a marker
			i++
			continue
		}
		i += 2
		switch {
		case m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7):
			continue // markers without a length
		case m == 0xDA || m == 0xD9:
			return 1 // start of scan or end of image: no EXIF before it
		}
		if i+2 > len(b) {
			return 1
		}
		n := int(b[i])<<8 | int(b[i+1]) // includes the two length bytes
		if n < 2 || i+n > len(b) {
			return 1
		}
		if m == 0xE1 {
			if o, isExif := exifOrientation(b[i+2 : i+n]); isExif {
				return o
			}
		}
		i += n
	}
	return 1
}

// exifOrientation reads the orientation from an APP1 payload. isExif is
// false when the payload is not EXIF (XMP also lives in APP1).
func exifOrientation(seg []byte) (orientation int, isExif bool) {
	const header = "Exif\x00\x00"
	if len(seg) < len(header) || string(seg[:len(header)]) != header {
		return 0, false
	}
	t := seg[len(header):] // TIFF structure; offsets are relative to it
	if len(t) < 8 {
		return 1, true
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1, true
	}
	if bo.Uint16(t[2:4]) != 42 {
		return 1, true
	}
	ifd := uint64(bo.Uint32(t[4:8]))
	size := uint64(len(t))
	if ifd+2 > size {
		return 1, true
	}
	count := uint64(bo.Uint16(t[ifd:]))
	for k := uint64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > size {
			break
		}
		if bo.Uint16(t[e:]) != 0x0112 { // Orientation
			continue
		}
		typ, n := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		if n != 1 {
			return 1, true
		}
		var v uint32
		switch typ {
		case 3: // SHORT, as the standard says
			v = uint32(bo.Uint16(t[e+8:]))
		case 4: // LONG, written by a few tools
			v = bo.Uint32(t[e+8:])
		default:
			return 1, true
		}
		if v < 1 || v > 8 {
			return 1, true
		}
		return int(v), true
	}
	return 1, true
}

// orient returns src transformed for display according to an EXIF
// orientation value. Orientations 5 to 8 swap width and height.
func orient(src *image.RGBA, orientation int) *image.RGBA {
	if orientation < 2 || orientation > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if orientation >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			sx, sy := orientedSource(orientation, x, y, w, h)
			d := dst.PixOffset(x, y)
			s := src.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			copy(dst.Pix[d:d+4], src.Pix[s:s+4])
		}
	}
	return dst
}

// orientedSource maps a pixel (x, y) of the displayed image to the stored
// image of size w×h that carries the given EXIF orientation.
func orientedSource(orientation, x, y, w, h int) (int, int) {
	switch orientation {
	case 2: // mirrored left to right
		return w - 1 - x, y
	case 3: // turned 180°
		return w - 1 - x, h - 1 - y
	case 4: // mirrored top to bottom
		return x, h - 1 - y
	case 5: // mirrored along the top-left diagonal
		return y, x
	case 6: // needs turning 90° clockwise
		return y, h - 1 - x
	case 7: // mirrored along the top-right diagonal
		return w - 1 - y, h - 1 - x
	case 8: // needs turning 90° counter-clockwise
		return w - 1 - y, x
	}
	return x, y
}
