import 'reflect-metadata';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { declaredVariables, readEnvironment } from '@app/config';
import { GOODBYE_GRACE_MS, GatewayMetrics } from '@app/operations';
import { CallEvents, CallRegistry } from '@app/orchestration';
import { TWILIO_ROUTES } from '@app/telephony';
import { HealthController } from '../../libs/operations/src/health/health.controller';
import { MetricsController } from '../../libs/operations/src/metrics/metrics.controller';

const ROOT = resolve(__dirname, '../..') + '/';
const KUBE = join(ROOT, 'deploy/kubernetes');

type Manifest = Record<string, any> & { apiVersion: string; kind: string; metadata: Record<string, any> & { name: string; namespace?: string } };

/** Offline schema validation: kubernetes-models checks each object against the Kubernetes OpenAPI schema. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** The kubernetes-models type of each kind, for the unknown-field check (kubectl's strict field validation). */
const TYPES: Record<string, [module: string, type: string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Namespace': ['kubernetes-models/v1/Namespace', 'INamespace'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'networking.k8s.io/v1/Ingress': ['kubernetes-models/networking.k8s.io/v1/Ingress', 'IIngress'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', 'IHorizontalPodAutoscaler'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
};

/**
 * The JSON-schema validation above allows unknown fields (a typo such as `readinesProbe` would pass
 * and be dropped by the API server). Type-checking each manifest as an object literal against the
 * kubernetes-models interfaces rejects them, as `kubectl apply --validate=strict` does.
 */
function unknownFieldErrors(manifests: Manifest[]): string[] {
  const file = join(ROOT, '__manifests__.ts');
  const lines = manifests.map((m, i) => {
    const [module, type] = TYPES[`${m.apiVersion}/${m.kind}`];
    return `import type { ${type} as T${i} } from '${module}';\nexport const m${i}: T${i} = ${JSON.stringify(m)};`;
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  const fileExists = host.fileExists;
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  return ts.getPreEmitDiagnostics(ts.createProgram([file], options, host)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

function readYaml(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    expect(doc.errors, path).toEqual([]);
    return doc.toJS() as Manifest;
  }).filter(Boolean);
}

/**
 * What `kubectl apply -k <dir>` would apply, for the kustomize features used here: resources
 * (files and directories), namespace, images, and labels without selectors.
 */
function build(dir: string): Manifest[] {
  const kustomization = readYaml(join(dir, 'kustomization.yaml'))[0] as Record<string, any>;
  expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
  const known = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'labels']);
  for (const key of Object.keys(kustomization)) expect(known, `unsupported kustomization field ${key} in ${dir}`).toContain(key);
  let manifests: Manifest[] = [];
  for (const resource of kustomization.resources as string[]) {
    const path = resolve(dir, resource);
    expect(existsSync(path), `${dir}: resource ${resource}`).toBe(true);
    manifests.push(...(existsSync(join(path, 'kustomization.yaml')) ? build(path) : readYaml(path)));
  }
  manifests = structuredClone(manifests);
  for (const { pairs } of kustomization.labels ?? []) {
    for (const m of manifests) m.metadata.labels = { ...m.metadata.labels, ...pairs };
  }
  if (kustomization.namespace) {
    for (const m of manifests) if (m.kind !== 'Namespace') m.metadata.namespace = kustomization.namespace;
  }
  for (const image of kustomization.images ?? []) {
    for (const container of manifests.flatMap((m) => m.spec?.template?.spec?.containers ?? [])) {
      const [name] = container.image.split(':');
      if (name === image.name) container.image = `${image.newName ?? name}:${image.newTag ?? container.image.split(':')[1]}`;
    }
  }
  return manifests;
}

const overlays = readdirSync(join(KUBE, 'overlays')).map((name) => join(KUBE, 'overlays', name));
const targets = [join(KUBE, 'base'), ...overlays];
const routeOf = (controller: Function, method: string) => '/' + Reflect.getMetadata(PATH_METADATA, controller.prototype[method]);
const one = (manifests: Manifest[], kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

describe('Kubernetes manifests', () => {
  it.each(targets.map((t) => [t.slice(KUBE.length + 1), t]))('%s: every object is valid against the Kubernetes schema', (_name, dir) => {
    const manifests = build(dir);
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `no schema for ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model(manifest).validate(), `${manifest.kind}/${manifest.metadata.name}`).not.toThrow();
    }
    const ids = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('no object has a field Kubernetes does not know (strict field validation)', () => {
    expect(unknownFieldErrors(targets.flatMap(build))).toEqual([]);
    const typo = structuredClone(one(build(join(KUBE, 'base')), 'Deployment'));
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(unknownFieldErrors([typo]).join()).toMatch(/readinesProbe.{0,4} does not exist in type 'IContainer'/);
  }, 30_000);

  it('the base lists every manifest file in its folder', () => {
    const files = readdirSync(join(KUBE, 'base')).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...(readYaml(join(KUBE, 'base/kustomization.yaml'))[0] as any).resources].sort()).toEqual(files.sort());
  });

  it('the schema validation rejects a broken object (so the check above can fail)', () => {
    const deployment = structuredClone(one(build(join(KUBE, 'base')), 'Deployment'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(deployment as any).validate()).toThrow();
  });

  describe.each(targets.map((t) => [t.slice(KUBE.length + 1), t]))('%s wiring', (_name, dir) => {
    const manifests = build(dir);
    const deployment = one(manifests, 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const configMap = one(manifests, 'ConfigMap');
    const service = one(manifests, 'Service');
    const port = container.ports.find((p: any) => p.name === 'http');

    it('ports: the container listens on PORT, the Service targets it and the Ingress targets the Service', () => {
      expect(port.containerPort).toBe(Number(configMap.data.PORT));
      expect(container.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
      const servicePort = service.spec.ports[0];
      expect(servicePort.targetPort).toBe('http');
      for (const [key, value] of Object.entries(service.spec.selector)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
      for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
      const paths = one(manifests, 'Ingress').spec.rules.flatMap((r: any) => r.http.paths);
      for (const path of paths) {
        expect(path.backend.service.name).toBe(service.metadata.name);
        expect([servicePort.name, servicePort.port]).toContain(path.backend.service.port.name ?? path.backend.service.port.number);
      }
      // Exactly Twilio's entry points are public, at the paths the app serves: the voice webhook,
      // the media stream, the status callbacks (call, answering machine, recording) and (by prefix) the warm-transfer callbacks.
      const transferPrefix = TWILIO_ROUTES.transferAnswer.slice(0, TWILIO_ROUTES.transferAnswer.indexOf(':'));
      expect(TWILIO_ROUTES.transferStatus.startsWith(transferPrefix)).toBe(true);
      expect(TWILIO_ROUTES.transferConference.startsWith(transferPrefix)).toBe(true);
      expect(paths.map((p: any) => p.path).sort()).toEqual(
        [TWILIO_ROUTES.incomingCall, TWILIO_ROUTES.mediaStream, TWILIO_ROUTES.callStatus, TWILIO_ROUTES.amdStatus, TWILIO_ROUTES.recordingStatus, transferPrefix].sort(),
      );
      for (const path of paths) expect(path.pathType).toBe(path.path === transferPrefix ? 'Prefix' : 'Exact');
    });

    it('probes hit the app’s real /healthz and /readyz routes, and Prometheus its /metrics route', () => {
      expect(container.livenessProbe.httpGet).toEqual({ path: routeOf(HealthController, 'liveness'), port: 'http' });
      expect(container.startupProbe.httpGet).toEqual({ path: routeOf(HealthController, 'liveness'), port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: routeOf(HealthController, 'readiness'), port: 'http' });
      expect(routeOf(HealthController, 'liveness')).toBe('/healthz');
      expect(routeOf(HealthController, 'readiness')).toBe('/readyz');
      const annotations = deployment.spec.template.metadata.annotations;
      expect(annotations['prometheus.io/path']).toBe(routeOf(MetricsController, 'scrape'));
      expect(Number(annotations['prometheus.io/port'])).toBe(port.containerPort);
    });

    it('env names exist in the config schema, and the ConfigMap plus the secret keys pass its validation', () => {
      const declared = new Set(declaredVariables());
      const secretRefs = container.env.map((e: any) => e.valueFrom?.secretKeyRef).filter(Boolean);
      for (const name of [...Object.keys(configMap.data), ...container.env.map((e: any) => e.name)]) expect(declared, name).toContain(name);
      for (const ref of secretRefs) expect(container.env.find((e: any) => e.valueFrom?.secretKeyRef === ref).name).toBe(ref.key);
      expect(new Set(secretRefs.map((r: any) => r.name)).size).toBe(1);
      // The deploy guide tells operators how to create the one Secret the pod reads.
      expect(readFileSync(join(ROOT, 'docs/deploy-kubernetes.md'), 'utf8')).toMatch(new RegExp(`kubectl (-n \\S+ )?create secret generic ${secretRefs[0].name} `));
      // Production refuses to start without either key (Twilio signatures are validated there).
      expect(secretRefs.find((r: any) => r.key === 'OPENAI_API_KEY').optional).not.toBe(true);
      expect(secretRefs.find((r: any) => r.key === 'TWILIO_AUTH_TOKEN').optional).not.toBe(true);
      const secrets: Record<string, string> = {
        OPENAI_API_KEY: `sk-${'x'.repeat(40)}`,
        TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789',
        TWILIO_ACCOUNT_SID: 'AC' + '0'.repeat(32),
        DATABASE_URL: 'postgres://gateway:secret@db.internal:5432/voice?sslmode=require',
        REDIS_URL: 'rediss://default:secret@cache.internal:6380',
        GATEWAY_SIGNING_SECRET: 'a-signing-secret-shared-by-every-replica-0123',
      };
      for (const ref of secretRefs) expect(secrets, `a test value for the Secret key ${ref.key}`).toHaveProperty(ref.key);
      const env = readEnvironment({ ...configMap.data, ...secrets });
      expect(env.NODE_ENV).toBe('production');
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    });

    it('several replicas share PostgreSQL (records, outbox) and Redis (live state), wired from the Secret', () => {
      const replicas = Math.max(deployment.spec.replicas ?? 1, one(manifests, 'HorizontalPodAutoscaler').spec.maxReplicas);
      expect(replicas).toBeGreaterThan(1);
      for (const key of ['DATABASE_URL', 'REDIS_URL']) {
        const entry = container.env.find((e: any) => e.name === key);
        expect(entry?.valueFrom?.secretKeyRef, key).toMatchObject({ name: 'voice-gateway-secrets', key });
        expect(entry.valueFrom.secretKeyRef.optional, `${key} must not be optional`).not.toBe(true);
      }
      // Nothing tells a pod it runs alone, so production would refuse the per-pod embedded store.
      expect(configMap.data.SINGLE_REPLICA ?? 'false').toBe('false');
      expect(configMap.data.DATABASE_URL).toBeUndefined();
      expect(() => readEnvironment({ ...configMap.data, OPENAI_API_KEY: `sk-${'x'.repeat(40)}`, TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789' })).toThrow(
        /DATABASE_URL: is required in production/,
      );
      // The deploy guide says how to provide both.
      const guide = readFileSync(join(ROOT, 'docs/deploy-kubernetes.md'), 'utf8');
      expect(guide).toMatch(/--from-literal=DATABASE_URL=/);
      expect(guide).toMatch(/--from-literal=REDIS_URL=/);
    });

    it('every replica can share a dedicated signing secret from the Secret (optional: it falls back to the Twilio token)', () => {
      const entry = container.env.find((e: any) => e.name === 'GATEWAY_SIGNING_SECRET');
      expect(entry?.valueFrom?.secretKeyRef).toMatchObject({ name: 'voice-gateway-secrets', key: 'GATEWAY_SIGNING_SECRET', optional: true });
      const production = { ...configMap.data, OPENAI_API_KEY: `sk-${'x'.repeat(40)}`, TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789', DATABASE_URL: 'postgres://db/voice' };
      // Without the key the pod starts on the Twilio token; with it, the secret must be strong enough.
      expect(() => readEnvironment(production)).not.toThrow();
      expect(readEnvironment({ ...production, GATEWAY_SIGNING_SECRET: 'a-signing-secret-shared-by-every-replica-0123' }).GATEWAY_SIGNING_SECRET).toBeDefined();
      expect(() => readEnvironment({ ...production, GATEWAY_SIGNING_SECRET: 'too-short' })).toThrow(/GATEWAY_SIGNING_SECRET/);
      // The deploy guide says how to provide it.
      expect(readFileSync(join(ROOT, 'docs/deploy-kubernetes.md'), 'utf8')).toMatch(/--from-literal=GATEWAY_SIGNING_SECRET=/);
    });

    it('shutdown: a preStop pause, then a grace period longer than the drain timeout plus the goodbye', () => {
      const preStop = container.lifecycle.preStop;
      const pauseS = preStop.sleep?.seconds ?? Number(preStop.exec?.command?.at(-1));
      expect(pauseS).toBeGreaterThanOrEqual(5);
      const drainS = Number(configMap.data.DRAIN_TIMEOUT_S);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pauseS + drainS + GOODBYE_GRACE_MS / 1000);
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    });

    it('security and resources: non-root as the image’s user, read-only root, no privilege escalation, requests and a memory limit', () => {
      const dockerUser = /^USER\s+(\d+)/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1];
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBe(Number(dockerUser));
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.requests.memory).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
    });

    it('the Ingress keeps WebSockets open for a whole call', () => {
      const annotations = one(manifests, 'Ingress').metadata.annotations;
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    });

    it('the autoscaler targets the Deployment on a metric the gateway exports; the disruption budget covers its pods', () => {
      const hpa = one(manifests, 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      const metrics = new GatewayMetrics(new CallEvents(), new CallRegistry());
      for (const metric of hpa.spec.metrics.filter((m: any) => m.type === 'Pods')) {
        expect(metrics.registry.getSingleMetric(metric.pods.metric.name), metric.pods.metric.name).toBeDefined();
      }
      const maxCalls = Number(configMap.data.MAX_CONCURRENT_CALLS);
      const target = hpa.spec.metrics.find((m: any) => m.pods?.metric.name === 'voice_gateway_calls_active');
      expect(Number(target.pods.target.averageValue)).toBeLessThan(maxCalls);
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const pdb = one(manifests, 'PodDisruptionBudget');
      for (const [key, value] of Object.entries(pdb.spec.selector.matchLabels)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
      if (dir !== join(KUBE, 'base')) for (const m of manifests) if (m.kind !== 'Namespace') expect(m.metadata.namespace).toBeDefined();
    });
  });
});
