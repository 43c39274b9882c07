
/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/** A blob. */
export declare class Blob {
  /** Always `'blob'`. */
  get type(): 'blob'
  /** The blob's id. */
  get oid(): string
  /** Size in bytes. */
  get size(): number
  /** A copy of the content. */
  content(): Buffer
  /** The content decoded as UTF-8 (invalid sequences replaced). */
  text(): string
  /** True when git would treat the content as binary (a NUL in the first 8000 bytes). */
  get isBinary(): boolean
}

/** A commit. One instance per oid per repository while it is reachable. */
export declare class Commit {
  /** Always `'commit'`. */
  get type(): 'commit'
  /** The commit's id. */
  get oid(): string
  /** The id of its tree. */
  get treeId(): string
  /** The ids of its parents, in order. */
  get parentIds(): Array<string>
  /** The author. */
  get author(): Signature
  /** The committer. */
  get committer(): Signature
  /** The full message, exactly as stored (decoded as UTF-8). */
  get message(): string
  /** The first paragraph of the message on one line, as `git log --oneline` shows it. */
  get summary(): string
  /** The `encoding` header, if any. */
  get encoding(): string | null
  /** The `gpgsig` header (continuation lines joined), if any. */
  get gpgSignature(): string | null
  /** The raw object content, byte for byte. */
  raw(): Buffer
  /** Read the commit's tree. */
  getTree(): Promise<Tree>
  /** Read the commit's tree, synchronously. */
  getTreeSync(): Tree
  /** Read the parent commits, in order. */
  getParents(): Promise<Commit[]>
  /** Read the parent commits, synchronously. */
  getParentsSync(): Commit[]
}

/**
 * A history walk: `index.js` wraps it as `log()`'s async iterator and
 * `logSync()`'s iterator.
 */
export declare class LogWalk {
  /**
   * The next `n` commits (fewer only at the end; none once done), with their
   * common fields: `[commits, oids, people, summaries]` (see `fields`).
   */
  next(n: number): Promise<[Commit[], string, string, string]>
  /** The next `n` commits and their fields, synchronously. */
  nextSync(n: number): [Commit[], string, string, string]
  /** Stop the walk: a batch in progress (and every later one) fails with `ERR_ABORTED`. */
  abort(): void
}

/** The references of a repository: loose and packed refs as git stores them. */
export declare class RefDatabase {
  /** The ref with this exact full name (`refs/heads/main`, `HEAD`), or null. */
  get(name: string): Promise<Ref | null>
  /** The ref with this exact full name, or null, synchronously. */
  getSync(name: string): Ref | null
  /** Follow the chain to a direct ref (`ERR_REF_NOT_FOUND`, `ERR_SYMREF_CYCLE`). */
  resolve(name: string): Promise<DirectRef>
  /** Follow the chain to a direct ref, synchronously. */
  resolveSync(name: string): DirectRef
  /**
   * The name the symbolic ref `name` points to, read one link only (as `git
   * symbolic-ref --no-recurse`; works on a chain too deep or looping to
   * resolve); null when `name` is a direct ref or does not exist.
   */
  readSymbolic(name: string): Promise<string | null>
  /** `readSymbolic`, synchronously. */
  readSymbolicSync(name: string): string | null
  /**
   * git's DWIM: the first of `x`, `refs/x`, `refs/tags/x`, `refs/heads/x`,
   * `refs/remotes/x`, `refs/remotes/x/HEAD` that exists, or null.
   */
  dwim(short: string): Promise<Ref | null>
  /** DWIM, synchronously. */
  dwimSync(short: string): Ref | null
  /** Start a transaction: queue edits, then `commit()` them all or none. */
  transaction(): RefTransaction
  /** Point `name` at `oid` (following a symbolic ref, as `git update-ref` does). */
  update(name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }): Promise<void>
  /** `update`, synchronously. */
  updateSync(name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }): void
  /** Delete `name` (from `packed-refs` too). */
  delete(name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }): Promise<void>
  /** `delete`, synchronously. */
  deleteSync(name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }): void
  /** Make `name` a symbolic ref to `target`. */
  setSymbolic(name: string, target: string, options?: { message?: string }): Promise<void>
  /** `setSymbolic`, synchronously. */
  setSymbolicSync(name: string, target: string, options?: { message?: string }): void
  /** The reflog of `name`, newest first. */
  reflog(name: string): Promise<ReflogEntry[]>
  /** The reflog of `name`, newest first, synchronously. */
  reflogSync(name: string): ReflogEntry[]
  /**
   * Pack refs into `packed-refs` as `git pack-refs` does (`all`: every ref, not
   * just tags and already-packed ones; `prune` (default true): remove the loose files).
   */
  packRefs(options?: { all?: boolean; prune?: boolean }): Promise<void>
  /** `packRefs`, synchronously. */
  packRefsSync(options?: { all?: boolean; prune?: boolean }): void
}

/**
 * Edits queued for one all-or-nothing commit, optionally prepared first (git's
 * `update-ref --stdin` `prepare`): `prepare()` takes every lock and checks every
 * expected value, then `commit()` writes or `abort()` releases the locks. A
 * prepared transaction that is dropped unreferenced releases its locks when
 * collected, but callers should always `commit()` or `abort()`.
 */
export declare class RefTransaction {
  /** Create `name` at `oid`; the commit fails with `ERR_REF_EXISTS` if it exists. */
  create(name: string, oid: string, options?: { message?: string }): this
  /**
   * Point `name` at `oid`; `expectedOld: null` means it must not exist;
   * `noDeref: true` overwrites a symbolic `name` itself instead of the ref it names.
   */
  update(name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }): this
  /** Delete `name` (`noDeref: true` deletes a symbolic `name` itself). */
  delete(name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }): this
  /** Only check that `name` holds `expectedOld` (null: does not exist). */
  verify(name: string, expectedOld: string | null): this
  /** Make `name` a symbolic ref to `target`. */
  setSymbolic(name: string, target: string, options?: { message?: string }): this
  /**
   * Take every lock and check every expected value without writing (git's
   * `prepare`); then `commit()` writes or `abort()` releases. Rejects with the
   * commit's error codes, and then nothing is held.
   */
  prepare(): Promise<void>
  /** `prepare`, synchronously. */
  prepareSync(): void
  /** Commit every edit, or none. */
  commit(): Promise<void>
  /** Commit every edit, or none, synchronously. */
  commitSync(): void
  /**
   * Drop the queued edits, releasing the locks of a prepared transaction;
   * nothing is written.
   */
  abort(): void
}

/** A git repository opened in-process. */
export declare class Repository {
  /** The best common ancestor of two commits, as `git merge-base a b` prints, or null. */
  mergeBase(a: string, b: string): Promise<string | null>
  /** `mergeBase`, synchronously. */
  mergeBaseSync(a: string, b: string): string | null
  /** The blob or tree at `path` in `rev` (as `git show rev:path`); `ERR_PATH_NOT_FOUND` when absent. */
  readPath(rev: string, path: string): Promise<Blob | Tree>
  /** `readPath`, synchronously. */
  readPathSync(rev: string, path: string): Blob | Tree
  /**
   * What changed from tree `a` (null: the empty tree) to tree `b`, as `git
   * diff-tree -r --raw a b` (no rename detection); `recursive: false` stops at
   * the top level, as `git diff-tree` without `-r`.
   */
  diffTrees(a: string | null, b: string, options?: { recursive?: boolean }): Promise<TreeChange[]>
  /** `diffTrees`, synchronously. */
  diffTreesSync(a: string | null, b: string, options?: { recursive?: boolean }): TreeChange[]
  /** Open the repository at `path`: a work tree, its `.git`, or a bare repository. */
  static open(path: string, options?: OpenOptions): Promise<Repository>
  /** Open the repository at `path`, synchronously. */
  static openSync(path: string, options?: OpenOptions): Repository
  /** Find the repository containing `startPath`, walking up like git. */
  static discover(startPath: string, options?: OpenOptions): Promise<Repository>
  /** Find the repository containing `startPath`, synchronously. */
  static discoverSync(startPath: string, options?: OpenOptions): Repository
  /** The git directory (absolute). */
  get gitDir(): string | null
  /** The common directory: differs from `gitDir` in a linked worktree. */
  get commonDir(): string | null
  /** The work tree, or null for a bare repository. */
  get workdir(): string | null
  /** True for a bare repository. */
  get isBare(): boolean
  /** The reference database. */
  get refs(): RefDatabase
  /** Read any object. */
  readObject(oid: string): Promise<GitObject>
  /** Read any object, synchronously. */
  readObjectSync(oid: string): GitObject
  /** Read many objects in one crossing; resolves to them in the same order. */
  readObjects(oids: Array<string>): Promise<GitObject[]>
  /** Read a commit (`ERR_OBJECT_TYPE` if it is something else). */
  getCommit(rev: string): Promise<Commit>
  /** Read a commit, synchronously. */
  getCommitSync(rev: string): Commit
  /** Read a tree. */
  getTree(rev: string): Promise<Tree>
  /** Read a tree, synchronously. */
  getTreeSync(rev: string): Tree
  /** Read a blob. */
  getBlob(rev: string): Promise<Blob>
  /** Read a blob, synchronously. */
  getBlobSync(rev: string): Blob
  /** Read an annotated tag. */
  getTag(rev: string): Promise<Tag>
  /** Read an annotated tag, synchronously. */
  getTagSync(rev: string): Tag
  /** True when the object is stored locally. Never fetches. */
  hasObject(oid: string): boolean
  /** The type and size of an object, without reading its content. Never fetches. */
  objectHeader(oid: string): Promise<{ type: ObjectType; size: number }>
  /** The type and size of an object, synchronously. */
  objectHeaderSync(oid: string): { type: ObjectType; size: number }
  /** The id git would give `data` as an object of `type`. Writes nothing. */
  hashObject(type: ObjectType, data: Buffer | string): string
  /** Resolve a revision (`HEAD`, `main`, `v1^{commit}`, `HEAD~3`, `x^2`, an abbreviated id) to an object id. */
  revParse(spec: string): Promise<string>
  /** Resolve a revision to an object id, synchronously. */
  revParseSync(spec: string): string
  /** Counters for loads, cache hits and joins, and the identity map's size. */
  stats(): RepoStats
  /** Close the repository: later calls reject with `ERR_CLOSED`. */
  close(): void
  /**
   * Create a repository at `path` as `git init` does (`bare`, `initialBranch`);
   * an existing repository there is opened unchanged.
   */
  static init(path: string, options?: { bare?: boolean; initialBranch?: string }): Promise<Repository>
  /** `init`, synchronously. */
  static initSync(path: string, options?: { bare?: boolean; initialBranch?: string }): Repository
  /** A repository held in memory only: objects and refs (`HEAD` names an unborn `refs/heads/main`). */
  static inMemory(): Repository
  /** Store `data` as a blob; resolves to its id (an existing object is not rewritten). */
  writeBlob(data: Buffer | Uint8Array | string): Promise<string>
  /** `writeBlob`, synchronously. */
  writeBlobSync(data: Buffer | Uint8Array | string): string
  /**
   * Store a tree of `entries` (sorted as git sorts them; `mode` e.g. `0o100644`,
   * `0o100755`, `0o120000`, `0o040000`, `0o160000`). Names `''`, `.`, `..`,
   * `.git` (any case), or with `/` or NUL are refused (`ERR_CORRUPT_OBJECT`),
   * as are duplicates; every entry's object must exist (gitlinks excepted).
   */
  writeTree(entries: { name: string; mode: number; oid: string }[]): Promise<string>
  /** `writeTree`, synchronously. */
  writeTreeSync(entries: { name: string; mode: number; oid: string }[]): string
  /**
   * Store a commit (`committer` defaults to `author`; times default to now in
   * the local zone). With `updateRef` (e.g. `'HEAD'` or `'refs/heads/main'`)
   * the ref is moved to it in a transaction that requires it to hold the first
   * parent (or not to exist, for a root commit), with git commit's reflog entry.
   */
  writeCommit(c: { tree: string; parents: string[]; author: SignatureInput; committer?: SignatureInput; message: string; updateRef?: string }): Promise<string>
  /** `writeCommit`, synchronously. */
  writeCommitSync(c: { tree: string; parents: string[]; author: SignatureInput; committer?: SignatureInput; message: string; updateRef?: string }): string
  /** Store an annotated tag object (no ref is created: `refs.create` one). */
  writeTag(t: { target: string; name: string; tagger: SignatureInput; message: string }): Promise<string>
  /** `writeTag`, synchronously. */
  writeTagSync(t: { target: string; name: string; tagger: SignatureInput; message: string }): string
}

/** An annotated tag. */
export declare class Tag {
  /** Always `'tag'`. */
  get type(): 'tag'
  /** The tag's id. */
  get oid(): string
  /** The id of the tagged object. */
  get targetId(): string
  /** The type of the tagged object. */
  get targetType(): ObjectType
  /** The tag's name. */
  get name(): string
  /** The tagger, or null for tags without one. */
  get tagger(): Signature | null
  /** The message (with any signature block that follows it). */
  get message(): string
  /** The raw object content. */
  raw(): Buffer
}

/** A tree. */
export declare class Tree {
  /** Always `'tree'`. */
  get type(): 'tree'
  /** The tree's id. */
  get oid(): string
  /** The entries, in stored (git) order. */
  get entries(): TreeEntry[]
  /** The entry called `name`, or null. */
  get(name: string): TreeEntry | null
  /** The raw object content. */
  raw(): Buffer
}
