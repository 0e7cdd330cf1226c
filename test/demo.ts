// `npm run demo` will start an embedded discovery service and three node agents once the node
// agent (@cosi-ts/node) exists. Until then it says so, rather than pretending.
console.log('The demo needs the node agent (@cosi-ts/node), which is not built yet.');
console.log('Try `npm test`, or `npm run bench -- state` to see the in-memory state at work.');
