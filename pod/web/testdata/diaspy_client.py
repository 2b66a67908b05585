#!/usr/bin/python3
"""Drives a pod with diaspy (Debian's python3-diaspy), the way a scripting
client would, and prints a JSON summary of what it saw on stdout.

Usage: diaspy_client.py POD_URL USERNAME PASSWORD [--search NAME]
       [--tag TAG] [--aspect-form NAME] [--aspect-json NAME]
   or: diaspy_client.py POD_URL USERNAME PASSWORD --read GUID [--read GUID ...]
   or: diaspy_client.py POD_URL USERNAME PASSWORD --conversation ID
       [--person GUID]
The first form does everything a scripting client does (sign in, user data,
streams, posting, aspects, memberships, search, comments, likes, profiles,
notifications); the second (reader mode) only signs in and reports which of
the given posts diaspy can read, plus the stream and a profile stream.

Only diaspy's public API is used: Connection, streams.*, people.*,
models.Aspect/Post, search.Search, notifications.Notifications. Any
exception ends the script with status 1 and the failed step on stderr.
pod/web/diaspy_test.go runs it and checks the summary against the pod.
"""

import argparse
import contextlib
import json
import sys
import traceback

# diaspy prints to stdout when BeautifulSoup is missing; keep stdout for
# the JSON summary alone.
with contextlib.redirect_stdout(sys.stderr):
    from diaspy import connection, conversations, errors, models, notifications, people, search, streams


def post_summary(p):
    """The parts of a diaspy Post the test checks."""
    d = p.data()
    return {
        "id": d["id"],
        "guid": d["guid"],
        "public": d["public"],
        "text": str(p),
        "author": p.author("diaspora_id"),
        "comments_count": d["interactions"]["comments_count"],
    }


def stream_summary(s):
    return [{"guid": p.guid, "text": str(p), "public": p.data()["public"]} for p in s]


class Steps:
    """Runs named steps; the first failure is reported and ends the run."""

    def __init__(self):
        self.current = ""

    @contextlib.contextmanager
    def __call__(self, name):
        self.current = name
        print("[diaspy_client] " + name, file=sys.stderr)
        yield


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pod")
    ap.add_argument("username")
    ap.add_argument("password")
    ap.add_argument("--search", default="bob")
    ap.add_argument("--tag", default="diaspytest")
    ap.add_argument("--aspect-form", default="Diaspy form aspect")
    ap.add_argument("--aspect-json", default="Diaspy JSON aspect")
    ap.add_argument("--read", action="append", metavar="GUID",
                    help="reader mode: only sign in and try to read these posts, the stream and --person's stream")
    ap.add_argument("--person", metavar="GUID", help="reader mode: whose profile stream to read")
    ap.add_argument("--conversation", metavar="ID",
                    help="conversation mode: only sign in, list the mailbox, read and answer this conversation")
    args = ap.parse_args()

    out = {}
    step = Steps()
    try:
        if args.read:
            read_only(args, out, step)
        elif args.conversation:
            conversation(args, out, step)
        else:
            full_run(args, out, step)
    except Exception:
        print("diaspy_client: step %r failed:" % step.current, file=sys.stderr)
        traceback.print_exc()
        json.dump(out, sys.stderr, indent=1, default=str)
        sys.exit(1)

    json.dump(out, sys.stdout, default=str)
    sys.stdout.write("\n")


def conversation(args, out, step):
    """Signs in, lists the mailbox and reads and answers one conversation."""
    with step("sign in"):
        conn = connection.Connection(pod=args.pod, username=args.username, password=args.password)
        conn.login()
        out["login"] = True
    with step("the mailbox (conversations.Mailbox, GET /conversations.json)"):
        out["mailbox"] = [str(c.id) for c in conversations.Mailbox(conn)]
    with step("a conversation: subject, answer, messages (models.Conversation)"):
        c = models.Conversation(conn, args.conversation)
        answered = c.answer("An answer from diaspy")
        c.update_messages()
        out["conversation"] = {"subject": c.get_subject(), "answer": answered,
                               "messages": [m["body"] for m in c.messages()]}


def read_only(args, out, step):
    """Signs in and reports which of the given posts diaspy can read."""
    with step("sign in"):
        conn = connection.Connection(pod=args.pod, username=args.username, password=args.password)
        conn.login()
        out["login"] = True
    with step("user data"):
        out["user_data"] = conn.getUserData()
    with step("read /stream.json"):
        out["stream"] = stream_summary(streams.Stream(conn))
    out["posts"] = {}
    for guid in args.read:
        with step("read post " + guid):
            try:
                p = models.Post(conn, guid=guid)
                out["posts"][guid] = {"readable": True, "text": str(p)}
            except errors.PostError as e:
                out["posts"][guid] = {"readable": False, "error": str(e)}
    if args.person:
        with step("read the profile stream of " + args.person):
            u = people.User(conn, guid=args.person)
            out["person"] = {"guid": u.guid(), "handle": u.handle(), "stream": stream_summary(u.stream)}


def full_run(args, out, step):
    """Everything a scripting client does, as the signed-in user."""
    with step("sign in"):
        conn = connection.Connection(pod=args.pod, username=args.username, password=args.password)
        conn.login()
        out["login"] = True

    with step("user data (GET /bookmarklet)"):
        ud = conn.getUserData()
        out["user_data"] = ud
        out["me"] = people.Me(conn).getInfo()

    with step("read streams"):
        out["streams"] = {}
        for name, cls in [("stream", streams.Stream), ("activity", streams.Activity),
                          ("aspects", streams.Aspects), ("mentions", streams.Mentions),
                          ("followed_tags", streams.FollowedTags), ("commented", streams.Commented),
                          ("liked", streams.Liked)]:
            with step("read stream " + name):
                out["streams"][name] = stream_summary(cls(conn))
        with step("read stream tags/" + args.tag):
            out["streams"]["tag"] = stream_summary(streams.Tag(conn, args.tag))

    with step("follow a tag (POST /tag_followings)"):
        out["follow_tag_status"] = streams.FollowedTags(conn, fetch=False).add(args.tag)

    stream = streams.Stream(conn)
    with step("publish a public post (POST /status_messages, aspect_ids=\"public\")"):
        pub = stream.post(text="Hello from diaspy #" + args.tag, aspect_ids="public")
        out["public_post"] = post_summary(pub)

    with step("search people (GET /people.json?q=)"):
        found = search.Search(conn).user(args.search)
        out["search"] = found
        target = None
        for person in found:
            if person["diaspora_id"].split("@")[0] == args.search:
                target = person
        if target is None:
            raise errors.SearchError("no person named %r in %r" % (args.search, found))

    with step("create an aspect with a form (streams.Aspects.add)"):
        aspect_form = streams.Aspects(conn, fetch=False).add(args.aspect_form)
        if aspect_form.id == -1:
            raise errors.AspectError("the new aspect is not in the user data")
        out["aspect_form"] = {"id": aspect_form.id, "name": args.aspect_form}

    with step("create an aspect with JSON (people.Contacts.addAspect)"):
        created = people.Contacts(conn).addAspect(args.aspect_json)
        out["aspect_json"] = created
        aspect_json = models.Aspect(conn, created["id"], created["name"])

    with step("add %s to an aspect (models.Aspect.addUser, POST /aspect_memberships)" % args.search):
        out["membership"] = aspect_form.addUser(target["id"])

    with step("list the aspect's members (models.Aspect.getUsers)"):
        out["aspect_members"] = aspect_form.getUsers()
        out["aspect_json_members"] = aspect_json.getUsers()

    with step("list contacts (people.Contacts.get)"):
        out["contacts"] = [{"guid": u.guid(), "handle": u.handle(), "aspect_memberships": u.aspectMemberships()}
                           for u in people.Contacts(conn).get()]

    with step("publish a limited post to the aspect with %s (aspect_ids=[id])" % args.search):
        lim = stream.post(text="For the form aspect only", aspect_ids=[aspect_form.id])
        out["limited_post"] = post_summary(lim)

    with step("publish a limited post to the empty aspect"):
        lim2 = stream.post(text="For the JSON aspect only", aspect_ids=[aspect_json.id])
        out["limited_post_empty_aspect"] = post_summary(lim2)

    with step("publish to all aspects (aspect_ids=\"all_aspects\")"):
        allp = stream.post(text="For all my aspects", aspect_ids="all_aspects")
        out["all_aspects_post"] = post_summary(allp)

    with step("filter the aspects stream (streams.Aspects.filter)"):
        asp = streams.Aspects(conn, fetch=False)
        asp.filter([str(aspect_form.id)])
        out["aspect_stream"] = stream_summary(asp)

    with step("stream again, older posts (Stream.update, Stream.more)"):
        stream.update()
        stream.more()
        out["stream_after"] = stream_summary(stream)

    with step("tag stream after posting"):
        out["tag_after"] = stream_summary(streams.Tag(conn, args.tag))
        out["followed_tags_after"] = stream_summary(streams.FollowedTags(conn))

    with step("fetch a post, comment and like it (models.Post)"):
        p = models.Post(conn, id=pub.id, guid=pub.guid)
        comment = p.comment("A comment from diaspy")
        like = p.like()
        p.fetch(comments=True)
        out["interactions"] = {
            "comment": str(comment),
            "like_id": like["id"],
            "comments": [str(c) for c in p.comments],
            "comments_count": p.data()["interactions"]["comments_count"],
            "likes_count": p.data()["interactions"]["likes_count"],
        }

    with step("another person's profile and stream (people.User)"):
        u = people.User(conn, guid=target["guid"])
        out["person"] = {"guid": u.guid(), "handle": u.handle(), "stream": stream_summary(u.stream),
                         "aspect_memberships": u.aspectMemberships()}

    with step("notifications (notifications.Notifications)"):
        out["notifications"] = [{"type": n.type, "unread": n.unread, "who": n.who(), "about": n.about(),
                                 "when": n.when(), "text": str(n)} for n in notifications.Notifications(conn)]

    with step("user data after the changes"):
        out["user_data_after"] = conn.getUserData()


if __name__ == "__main__":
    main()
