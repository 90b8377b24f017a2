// Preloaded into Portkey (node -r) so that its server listens on 127.0.0.1 only: it has no option for the address.
'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;
// @hono/node-server calls listen(port, undefined, callback); a port with no host would bind every interface.
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, args[1] === undefined ? 1 : 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
