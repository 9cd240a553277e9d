'use strict';
// Preload (NODE_OPTIONS=--require) that binds every TCP server of this Node
// process, and of its Node children, to 127.0.0.1. The Agents Playground
// listens on all interfaces by default, and the tests must not expose it.
//
// Covered: server.listen() with no arguments or a callback only, with a port
// (number or numeric string), with port and host, and with an options object.
// Pipes and already-open handles are left alone because they have no host.

const net = require('node:net');

const LOOPBACK_HOST = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

function isHandle(value) {
  return value !== null && typeof value === 'object' &&
    ('_handle' in value || 'fd' in value) && !('port' in value);
}

function toLoopbackArguments(args) {
  const [first, ...rest] = args;

  if (first === undefined || first === null || typeof first === 'function') {
    // listen(), listen(callback): Node picks a free port on every interface.
    return [0, LOOPBACK_HOST, ...args.filter((arg) => typeof arg === 'function')];
  }

  if (isPort(first)) {
    // listen(port, host?, backlog?, callback?): replace the host or add one.
    if (typeof rest[0] === 'string') {
      return [first, LOOPBACK_HOST, ...rest.slice(1)];
    }
    return [first, LOOPBACK_HOST, ...rest];
  }

  if (typeof first === 'object' && !isHandle(first)) {
    if (first.path !== undefined || first.handle !== undefined) {
      return args;
    }
    const options = { ...first, host: LOOPBACK_HOST };
    delete options.ipv6Only;
    return [options, ...rest];
  }

  // A pipe path or an open handle.
  return args;
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  return originalListen.apply(this, toLoopbackArguments(args));
};
