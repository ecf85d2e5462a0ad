using Lifeline.Cli;

// The process entry point: real console streams, real environment, Ctrl+C/SIGTERM cancel the command's token
// (System.CommandLine's process-termination handling), and the command's exit code is the process's.
return await CliApp.RunAsync(args, CliEnvironment.FromProcess(), CancellationToken.None).ConfigureAwait(false);
