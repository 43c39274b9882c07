
/* Static methods index.js adds to Repository. */
export declare namespace Repository {
  /** Clone `url` (a path, `file://`, `git://`, `http(s)://`) into `path`. */
  function clone(url: string, path: string, options?: CloneOptions): Promise<Repository>
  /** `clone`, synchronously. */
  function cloneSync(url: string, path: string, options?: Omit<CloneOptions, 'signal'>): Repository
  /** A memory-only repository over `url`: its refs now, its objects fetched when read and kept in memory. */
  function openRemote(url: string, options?: RemoteOptions): Promise<Repository>
}
