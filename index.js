'use strict'
// ferrogit's entry point: the native binding plus the GitError class every
// failure is an instance of. Types are in index.d.ts (generated; see scripts/build.mjs).
const binding = require('./binding.js')

class GitError extends Error {
  constructor(message) {
    super(message)
    this.name = 'GitError'
  }
}

binding.__setErrorClass(GitError)

module.exports = { ...binding, GitError }
delete module.exports.__setErrorClass
