// Helpers for tests of the Kubernetes registry (`@cosi-ts/registry-kubernetes/testing`); not for production code.
export { startKubeApiServer, applyMergePatch } from './kube-api-server.ts';
export type { KubeApiServer, KubeApiServerOptions, NodeInput, TestNode } from './kube-api-server.ts';
export { selfSignedCertificate } from './self-signed.ts';
export type { SelfSignedCertificate } from './self-signed.ts';
