/* Internal: makes sure a run target's image is present, following the pull policy. */
import type Docker from 'dockerode';
import { reasonOf, statusOf, toDockerError } from './docker-errors-map.js';
import { DockerExecutorError, type PullPolicy } from './errors.js';
import type { DockerConnectionOptions, DockerRegistryAuth } from './options.js';

/** Checks and pulls images; remembers images known to be present (except under `'always'`). */
export class ImagePolicy {
  readonly #docker: Docker;
  readonly #auth: DockerRegistryAuth | undefined;
  readonly #connection: DockerConnectionOptions | undefined;
  readonly #present = new Map<string, Promise<void>>();

  constructor(docker: Docker, auth: DockerRegistryAuth | undefined, connection: DockerConnectionOptions | undefined) {
    this.#docker = docker;
    this.#auth = auth;
    this.#connection = connection;
  }

  /** Resolves when `image` may be used; rejects with `FL_DOCKER_IMAGE_NOT_FOUND` / `FL_DOCKER_IMAGE_PULL_FAILED`. */
  ensure(image: string, policy: PullPolicy): Promise<void> {
    if (policy === 'always') return this.#pull(image, policy);
    const key = `${policy}\0${image}`;
    let known = this.#present.get(key);
    if (known === undefined) {
      known = this.#check(image, policy);
      this.#present.set(key, known);
      known.catch(() => this.#present.delete(key));
    }
    return known;
  }

  /** True when the image is on the daemon (no pull). */
  async has(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw toDockerError('image inspect', error, this.#connection);
    }
  }

  async #check(image: string, policy: PullPolicy): Promise<void> {
    if (await this.has(image)) return;
    if (policy === 'never') throw new DockerExecutorError('FL_DOCKER_IMAGE_NOT_FOUND', { image, pullPolicy: policy });
    await this.#pull(image, policy);
  }

  async #pull(image: string, policy: PullPolicy): Promise<void> {
    try {
      const stream = await this.#docker.pull(image, this.#auth === undefined ? {} : { authconfig: this.#auth });
      await new Promise<void>((resolve, reject) => {
        this.#docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
          const failed = err ?? events.find((e) => typeof e.error === 'string')?.error;
          if (failed) reject(failed instanceof Error ? failed : new Error(failed));
          else resolve();
        });
      });
    } catch (error) {
      const mapped = toDockerError('image pull', error, this.#connection);
      if (mapped instanceof DockerExecutorError && mapped.code === 'FL_DOCKER_UNREACHABLE') throw mapped;
      throw new DockerExecutorError(
        'FL_DOCKER_IMAGE_PULL_FAILED',
        { image, pullPolicy: policy, reason: reasonOf(error) },
        { cause: error },
      );
    }
  }
}
