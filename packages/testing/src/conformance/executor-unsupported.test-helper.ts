/* Test helper: local executors that do not support stdin or copies — one refusing them honestly, one ignoring them. */
import {
  type CopyOptions,
  type CopyResult,
  createLocalExecutor,
  type ExecHandle,
  type ExecOptions,
  type Executor,
  FlowlaneError,
} from '@flowlane/core';
import { EMPTY } from 'rxjs';

const refused = (feature: string): FlowlaneError =>
  new FlowlaneError('FL_EXEC_UNSUPPORTED', {
    executor: 'local-no-stdin',
    feature,
    instead: 'Use createLocalExecutor() for it, or pass the data through env or args.',
  });

const failed = (error: FlowlaneError): ExecHandle => {
  const result = Promise.reject(error);
  result.catch(() => undefined);
  return { output$: EMPTY, result, kill: () => undefined };
};

/**
 * The local executor without stdin and copies. `honest`: using them fails with `FL_EXEC_UNSUPPORTED`; otherwise
 * stdin is silently dropped and copies claim success without copying (what the conformance kit must catch).
 */
export function localWithoutStdinAndCopies(honest: boolean): Executor {
  const local = createLocalExecutor({ killGraceMs: 500 });
  const noCopy = async (op: string, _a: string, _b: string, _o?: CopyOptions): Promise<CopyResult> => {
    if (honest) throw refused(op);
    return { bytes: 0, files: 0 };
  };
  return {
    exec(command: string, options: ExecOptions = {}): ExecHandle {
      if (options.stdin === undefined) return local.exec(command, options);
      if (honest) return failed(refused('stdin'));
      const { stdin: _dropped, ...rest } = options;
      return local.exec(command, rest);
    },
    copyIn: (a, b, o) => noCopy('copyIn', a, b, o),
    copyOut: (a, b, o) => noCopy('copyOut', a, b, o),
    healthCheck: (o) => local.healthCheck(o),
    dispose: () => local.dispose(),
  };
}
