package federate

import (
	"context"
	"errors"
	"net"
	"net/url"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/photos"
)

// SetPhotos gives the federation layer the photo use cases: it stores the
// photos of received posts through them and fetches their files.
func (a *Service) SetPhotos(p *photos.Service) { a.photos = p }

// addPhotos puts a local post's photos into its entity.
func (a *Service) addPhotos(ctx context.Context, e entity.Entity, post *models.Post, author *models.Person) error {
	rows, err := a.store.PhotosOfPosts(ctx, []int64{post.ID})
	if err != nil {
		return err
	}
	fedhost.AddPhotos(e, rows[post.ID], author, a.opt.BaseURL)
	return nil
}

// receivePhotos stores the photos of a newly received post and queues
// their fetches, in the post's transaction.
func (a *Service) receivePhotos(ctx context.Context, tx *models.Store, out *pod.Outbox, post *models.Post, e *entity.StatusMessage) error {
	if a.photos == nil || len(e.Photos) == 0 {
		return nil
	}
	in, left := fedhost.ReceivedPhotos(e)
	more, err := a.photos.Receive(ctx, tx, out, post, in)
	if left += more; left > 0 {
		a.log.Info("federation: photos of a received post left out", "guid", post.GUID, "left_out", left)
	}
	return err
}

// FetchPhoto fetches a received photo's file from the pod that serves it,
// once, with the guarded client (no private addresses in production, no
// more than photos.MaxBytes), and stores its renditions here, so readers'
// browsers never contact that pod. A photo too large in full is fetched
// in diaspora*'s scaled_full size instead. Errors are retried by the job;
// a photo gone meanwhile is nothing to do.
func (a *Service) FetchPhoto(ctx context.Context, id int64) error {
	ph, err := a.photos.ToFetch(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	base, err := url.Parse(ph.RemotePhotoPath)
	if err != nil {
		a.log.Info("federation: photo has a bad remote_photo_path", "photo", ph.GUID, "err", err)
		return a.photos.FetchFailed(ctx, id)
	}
	var body []byte
	for _, name := range []string{ph.RemotePhotoName, "scaled_full_" + ph.RemotePhotoName} {
		ref, perr := url.Parse(name)
		if perr != nil {
			a.log.Info("federation: photo has a bad remote_photo_name", "photo", ph.GUID, "err", perr)
			return a.photos.FetchFailed(ctx, id)
		}
		resp, gerr := a.http.Get(ctx, base.ResolveReference(ref).String(), "image/*", photos.MaxBytes)
		if gerr == nil {
			body = resp.Body
			break
		}
		var dns *net.DNSError
		if errors.As(gerr, &dns) && dns.IsNotFound {
			// No such host: no retry will find it.
			a.log.Info("federation: photo's host does not exist", "photo", ph.GUID, "err", gerr)
			return a.photos.FetchFailed(ctx, id)
		}
		if !errors.Is(gerr, federation.ErrTooLarge) {
			return gerr
		}
		err = gerr
	}
	if body == nil {
		a.log.Info("federation: photo too large to fetch", "photo", ph.GUID, "err", err)
		return a.photos.FetchFailed(ctx, id)
	}
	return a.photos.StoreFetched(ctx, ph, body)
}

// PhotoFetchFailed records that a received photo could not be fetched
// after the job's last retry.
func (a *Service) PhotoFetchFailed(ctx context.Context, id int64) error {
	return a.photos.FetchFailed(ctx, id)
}
