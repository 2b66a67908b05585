package pod_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/aspenpod/aspen/pod/streams"
)

// The privacy model through the API v1 (issue 16): every user has two
// tokens, one with private:read and one without, and reads the streams
// and the post search with them over HTTP. With private:read the API must
// list exactly what the web's use cases list (expectedStream); without it
// exactly the public part of that, the user's own limited posts left out
// too.

// modelTokens are one user's API tokens.
type modelTokens struct {
	full, public string
}

// setupAPI gives every user the two tokens (the test pod has no API rate
// limit: a full check reads every stream twice per user).
func (m *model) setupAPI() {
	for _, U := range m.users {
		m.apiTokens = append(m.apiTokens, modelTokens{
			full:   m.p.APIToken(m.t, U.s, "openid", "private:read", "contacts:read", "tags:read"),
			public: m.p.APIToken(m.t, U.s, "openid", "tags:read"),
		})
	}
}

// publicOnly keeps the GUIDs of public posts.
func (m *model) publicOnly(guids []string) []string {
	var out []string
	for _, g := range guids {
		for _, p := range m.posts {
			if p.guid == g && p.public {
				out = append(out, g)
			}
		}
	}
	return out
}

// apiRead is one API call of the check and the stream it must equal.
type apiRead struct {
	path string
	q    streams.StreamQuery
}

// apiReads lists the API calls for viewer v: on a full check every
// stream kind, every aspect alone and every tag's post search; otherwise
// one of them in turn.
func (m *model) apiReads(v int, full bool) []apiRead {
	reads := []apiRead{
		{"/api/v1/streams/main", streams.StreamQuery{Kind: streams.StreamMain}},
		{"/api/v1/streams/activity", streams.StreamQuery{Kind: streams.StreamActivity}},
		{"/api/v1/streams/tags", streams.StreamQuery{Kind: streams.StreamFollowedTags}},
		{"/api/v1/streams/mentions", streams.StreamQuery{Kind: streams.StreamMentions}},
		{"/api/v1/streams/liked", streams.StreamQuery{Kind: streams.StreamLiked}},
		{"/api/v1/streams/commented", streams.StreamQuery{Kind: streams.StreamCommented}},
	}
	for _, a := range m.users[v].aspects {
		reads = append(reads, apiRead{"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape(fmt.Sprintf("[%d]", a)),
			streams.StreamQuery{Kind: streams.StreamAspects, AspectIDs: []int64{a}}})
	}
	for _, tg := range modelTags {
		reads = append(reads, apiRead{"/api/v1/search/posts?tag=" + tg, streams.StreamQuery{Kind: streams.StreamTag, Tag: tg}})
	}
	if full {
		return reads
	}
	return []apiRead{reads[(m.checks+v)%len(reads)]}
}

// checkAPIStreams reads v's streams through the API with both tokens.
func (m *model) checkAPIStreams(v int, full bool) {
	tk := m.apiTokens[v]
	for _, r := range m.apiReads(v, full) {
		want := m.expectedStream(v, r.q)
		if got, err := m.apiGUIDs(tk.full, r.path); err != nil {
			m.failf("%s reads %s through the API: %v", m.viewerName(v), r.path, err)
			return
		} else if !slices.Equal(got, want) {
			m.failf("%s: API %s with private:read\n got  %s\n want %s", m.viewerName(v), r.path, m.descGUIDs(got), m.descGUIDs(want))
			return
		}
		if r.q.Kind == streams.StreamAspects {
			continue // needs private:read: a 403 (pod/web's tests)
		}
		want = m.publicOnly(want)
		if got, err := m.apiGUIDs(tk.public, r.path); err != nil {
			m.failf("%s reads %s through the API without private:read: %v", m.viewerName(v), r.path, err)
			return
		} else if !slices.Equal(got, want) {
			m.failf("%s: API %s without private:read\n got  %s\n want %s", m.viewerName(v), r.path, m.descGUIDs(got), m.descGUIDs(want))
			return
		}
	}
}

// apiGUIDs calls the API (100 posts a page: the whole walk's posts fit)
// and returns the sorted GUIDs of the posts it lists.
func (m *model) apiGUIDs(token, path string) ([]string, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req, err := http.NewRequest(http.MethodGet, m.p.Server.URL+path+sep+"per_page=100", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var posts []struct {
		GUID string `json:"guid"`
	}
	if err := json.Unmarshal(body, &posts); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range posts {
		out = append(out, p.GUID)
	}
	sort.Strings(out)
	return out, nil
}
