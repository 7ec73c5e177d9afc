"""Source fixes that make each of FerretDB's single-document writes atomic: write locks held
from a statement's read to its write (FerretDB.source_fixes applies them)."""

from conveyor_local.stack.go_build import SourceFix

# Why the isolation fix exists, kept with the fix that adds the locks.
ISOLATION_WHY = (
    "update and findAndModify read a document, apply the operators in Go and write it back "
    "with no isolation (FerretDB issue #3040), and a filtered delete reads and checks before it "
    "deletes: of 50 concurrent 'take one if at least one is left' updates on 10 units, from two "
    "processes, 12-39 succeeded (tests/test_database_limits.py), and two upserts of one new _id "
    "could both insert (one failed with a duplicate key). MongoDB applies each single-document "
    "write atomically. These locks make each statement's read-modify-write atomic per document "
    "across clients: a filter with an _id equality locks that document (other documents of the "
    "collection go on in parallel), any other filter its collection. A lock in the handler "
    "serves both backends; a SQLite transaction cannot span the read and the write, which take "
    "two pooled connections. With it exactly 10 of 50 succeed, on SQLite and PostgreSQL. "
    "Measured with make bench-backends (3000 documents, each client on its own documents): "
    "no cost beyond the spread of alternating runs on a loaded machine; 8 clients of the "
    "versioned findAndModify 1010-1280/s and 0.42-0.52 ms of server CPU each before, "
    "1020-1320/s and 0.39-0.57 ms after; a bulk_write of 200 updates from 8 clients 48-65 ms "
    "of CPU per call before, 46-62 after. One lock per collection instead cut those to "
    "290-390 versioned updates/s at 1.0-1.3 ms, and to 3 bulk writes/s at 160 ms."
)

# What the isolation source fix adds to FerretDB's handler (see WRITE_LOCK_FIXES below).
HANDLER_DOC = (
    "// Handler provides a set of methods to process clients' requests sent over wire protocol.\n"
)
WRITE_LOCKS_GO = """\
// writeLockStripes is the number of locks that lockWrites hashes collections and documents onto.
const writeLockStripes = 1024

// Write locks. The update, findAndModify and delete commands read the documents their filter
// matches, change or check them in Go and then write back by _id; without a lock two commands
// could both read one version of a document and both write (a lost update). They hold these
// locks from their read to their write. Insert reads nothing and needs none (the _id index
// refuses a duplicate). They serialise one FerretDB process, not several on one storage.
var (
	collectionWriteLocks [writeLockStripes]sync.RWMutex
	documentWriteLocks   [writeLockStripes]sync.Mutex
	writeLockSeed        = maphash.MakeSeed()
)

// lockWrites takes the write lock of what filter can match in db.collection and returns the
// function that releases it. A filter with an _id equality on a string or an ObjectID matches at
// most that document: its command shares the collection's lock with other such commands and
// holds the document's own lock. Any other filter holds the collection's lock exclusively.
// Collections or documents that hash onto the same stripe only wait for each other.
func lockWrites(db, collection string, filter *types.Document) func() {
	name := db + "." + collection
	coll := &collectionWriteLocks[maphash.String(writeLockSeed, name)%writeLockStripes]

	var id any
	if filter != nil {
		id, _ = filter.Get("_id")
	}

	var key string

	switch id := id.(type) {
	case string:
		key = name + "\\x00s" + id
	case types.ObjectID:
		key = name + "\\x00o" + string(id[:])
	default:
		coll.Lock()
		return coll.Unlock
	}

	doc := &documentWriteLocks[maphash.String(writeLockSeed, key)%writeLockStripes]

	coll.RLock()
	doc.Lock()

	return func() {
		doc.Unlock()
		coll.RUnlock()
	}
}
"""

# The update command's statement, run under its write lock by the isolation fix.
UPDATE_STATEMENT_GO = """\
// updateStatement runs one statement of an update command under the write lock of what its
// filter can match (lockWrites): the documents are read, changed and written back before
// another writer of them reads; the statement's read (and its pooled connection) is released
// before the next statement.
func (h *Handler) updateStatement(
	ctx context.Context, c backends.Collection, db, collection string,
	qp *backends.QueryParams, u *common.Update,
) (*common.UpdateResult, error) {
	defer lockWrites(db, collection, u.Filter)()

	res, err := c.Query(ctx, qp)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	closer := iterator.NewMultiCloser()
	defer closer.Close()

	closer.Add(res.Iter)

	iter := common.FilterIterator(res.Iter, closer, u.Filter)

	if !u.Multi {
		iter = common.LimitIterator(iter, closer, 1)
	}

	return common.UpdateDocument(ctx, c, "update", iter, u)
}
"""


WRITE_LOCK_FIXES = (
    SourceFix(
        "internal/handler/handler.go",
        old='\t"log/slog"\n\t"sync"\n',
        new='\t"hash/maphash"\n\t"log/slog"\n\t"sync"\n',
        why=(
            "lockWrites (the next fix) hashes a collection's and a document's names onto its "
            "stripes of locks with hash/maphash, which handler.go does not import yet."
        ),
    ),
    SourceFix(
        "internal/handler/handler.go",
        old=HANDLER_DOC,
        new=WRITE_LOCKS_GO + "\n" + HANDLER_DOC,
        why=ISOLATION_WHY,
    ),
    SourceFix(
        "internal/handler/msg_update.go",
        old="""\
		res, err := c.Query(ctx, &qp)
		if err != nil {
			return 0, 0, nil, lazyerrors.Error(err)
		}

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
        new="""\
		result, err := h.updateStatement(ctx, c, params.DB, params.Collection, &qp, &u)
""",
        why=(
            "Each statement of an update command reads, changes and writes back under its "
            "write lock (lockWrites, updateStatement); its read is still closed before the "
            "next statement, as the bulk fix above made it."
        ),
    ),
    SourceFix(
        "internal/handler/msg_update.go",
        old="// updateDocument iterate through all documents in collection and update them.\n",
        new=UPDATE_STATEMENT_GO
        + "\n// updateDocument iterate through all documents in collection and update them.\n",
        why=(
            "Adds updateStatement, which the fix above calls: one statement's read, change and "
            "write-back, with its lock and its read released by defer even if it panics."
        ),
    ),
    SourceFix(
        "internal/handler/msg_findandmodify.go",
        old="""\
	cancel := func() {}
	if params.MaxTimeMS != 0 {
""",
        new="""\
	defer lockWrites(params.DB, params.Collection, params.Query)()

	cancel := func() {}
	if params.MaxTimeMS != 0 {
""",
        why=(
            "findAndModify finds, changes (or removes) and writes back one document under "
            "the write lock of what its query can match, so two of them never both apply "
            "to one version of the document."
        ),
    ),
    SourceFix(
        "internal/handler/msg_delete.go",
        old=(
            "func (h *Handler) execDelete(ctx context.Context, c backends.Collection, "
            "p *common.Delete) (int32, error) {\n"
        ),
        new="""\
func (h *Handler) execDelete(
	ctx context.Context, c backends.Collection, p *common.Delete, db, collection string,
) (int32, error) {
	defer lockWrites(db, collection, p.Filter)()

""",
        why=(
            "A delete statement reads the documents its filter matches, checks them in Go "
            "and deletes them by _id: under the write lock, a document that a concurrent "
            "update moves out of the filter is no longer deleted for the version it had."
        ),
    ),
    SourceFix(
        "internal/handler/msg_delete.go",
        old="d, err = h.execDelete(connCtx, c, &p)\n",
        new="d, err = h.execDelete(connCtx, c, &p, params.DB, params.Collection)\n",
        why=(
            "The delete command passes execDelete the database and collection names that the "
            "statement's write lock is keyed by (execDelete only gets the collection handle)."
        ),
    ),
)
