"""Source fixes to what FerretDB holds and records while it runs a command: an update
command's pooled connections, and a profile of every live object (FerretDB.source_fixes applies
them)."""

from conveyor_local.stack.go_build import SourceFix

UPDATE_RELEASES_EACH_READ = SourceFix(
    "internal/handler/msg_update.go",
    old="""\
		closer := iterator.NewMultiCloser()
		defer closer.Close()

		closer.Add(res.Iter)

		iter := common.FilterIterator(res.Iter, closer, u.Filter)

		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)
""",
    new="""\
		closer := iterator.NewMultiCloser()

		closer.Add(res.Iter)

		iter := common.FilterIterator(res.Iter, closer, u.Filter)

		if !u.Multi {
			iter = common.LimitIterator(iter, closer, 1)
		}

		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)

		// release this statement's read (and its pooled connection) before the next one
		closer.Close()
""",
    why=(
        "The update command closed each statement's read with a defer inside its loop, "
        "so every statement kept its pooled SQLite connection until the whole command "
        "ended. The pool holds 100: a bulk write of 100 updates waited forever for one "
        "more, and so did every later command on that database (99 took 0.3 s). Closed "
        "per statement, 500 updates in one call take 0.4 s, 0.8 ms and 0.7 ms of server "
        "CPU per update, as in chunks of 99. delete already closes per statement; insert "
        "reads nothing and findAndModify has one statement."
    ),
)

PROFILE_IN_DEBUG_BUILDS_ONLY = SourceFix(
    "internal/util/resource/resource.go",
    old="\tp.Add(token, 1)\n",
    new="\tif debugbuild.Enabled {\n\t\tp.Add(token, 1)\n\t}\n",
    why=(
        "Every iterator, query, transaction and closer (several per command) was added "
        "to a pprof profile of live objects, which records the caller's stack each time: "
        "7.7% of the server's CPU in a profile of 4 writers of update_one, 1.6% fixed. "
        "Only debug builds record it now; the profile is read only through the debug "
        "HTTP server, which this stack turns off, and the check that panics on an object "
        "never closed stays."
    ),
)
