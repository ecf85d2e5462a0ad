using Lifeline.Samples.WebApp;

await SampleApp.Create(args).RunAsync();
