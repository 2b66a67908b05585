package posts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/polls"
)

// LocationInput is where a new post was written: an address and optional
// coordinates (decimal degrees as text, both or neither).
type LocationInput struct {
	Address string
	Lat     string
	Lng     string
}

// MaxAddress is the longest address (the federation entity's limit).
const MaxAddress = 255

// checkLocation validates a post's location; nil when none was given.
func checkLocation(in LocationInput) (*models.Location, error) {
	addr, lat, lng := strings.TrimSpace(in.Address), strings.TrimSpace(in.Lat), strings.TrimSpace(in.Lng)
	if addr == "" && lat == "" && lng == "" {
		return nil, nil
	}
	inv := pod.Invalid()
	if utf8.RuneCountInString(addr) > MaxAddress {
		inv.Add("location_address", fmt.Sprintf("is too long (at most %d characters)", MaxAddress))
	}
	l := &models.Location{Address: addr}
	if lat != "" || lng != "" {
		la, ok1 := pod.Coordinate(lat, 90)
		lo, ok2 := pod.Coordinate(lng, 180)
		if !ok1 {
			inv.Add("location_lat", "must be a latitude in degrees between -90 and 90")
		}
		if !ok2 {
			inv.Add("location_lng", "must be a longitude in degrees between -180 and 180")
		}
		l.Lat, l.Lng = la, lo
	}
	return l, inv.OrNil()
}

// extras is the checked poll and location of a new post.
type extras struct {
	poll     *polls.Input
	location *models.Location
}

// checkExtras validates a new post's poll and location, reporting the
// problems of both at once.
func checkExtras(in PostInput) (extras, error) {
	var x extras
	inv := pod.Invalid()
	if !in.Poll.Empty() {
		p, err := polls.Check(in.Poll)
		if err != nil {
			merge(inv, err)
		}
		x.poll = &p
	}
	l, err := checkLocation(in.Location)
	if err != nil {
		merge(inv, err)
	}
	x.location = l
	return x, inv.OrNil()
}

func merge(into *pod.InvalidError, err error) {
	var e *pod.InvalidError
	if errors.As(err, &e) {
		for k, v := range e.Fields {
			into.Add(k, v)
		}
		if e.Message != "" && into.Message == "" {
			into.Message = e.Message
		}
	}
}

// store writes a new post's poll and location in its transaction.
func (x extras) store(ctx context.Context, tx *models.Store, postID int64) error {
	if x.poll != nil {
		if err := polls.Create(ctx, tx, postID, *x.poll); err != nil {
			return err
		}
	}
	if x.location != nil {
		x.location.PostID = postID
		return tx.CreateLocation(ctx, x.location)
	}
	return nil
}
