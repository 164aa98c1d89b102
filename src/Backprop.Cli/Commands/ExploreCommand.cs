using System.CommandLine;
using System.Diagnostics;
using Backprop.Explore;

namespace Backprop.Cli.Commands;

/// <summary>backprop explore: the worked solution as a local page to step through, edit and check (Backprop.Explore serves it).</summary>
internal static class ExploreCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var problem = new ProblemOptions();
        var mode = ProblemOptions.Mode();
        var lr = OptionValues.OptionalNumber("--lr");
        lr.Description = "Learning rate of the SGD step the page shows (examples bring their own)";
        lr.HelpName = "η";
        var port = OptionValues.Integer("--port", 0);
        port.Description = "Port on 127.0.0.1 (default 0: any free port; the URL printed says which)";
        var host = new Option<string>("--host") { Description = "Loopback address to listen on: 127.0.0.1 (default), ::1 or localhost; any other is refused", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
        var noOpen = new Option<bool>("--no-open") { Description = "Print the URL only; do not open the default browser" };
        var command = new Command("explore", "Serve the worked solution as a local page: step through it, see the chain rule with numbers, edit values, check by finite differences, quiz yourself (Ctrl+C stops)");
        problem.AddTo(command);
        command.Options.Add(lr);
        command.Options.Add(mode);
        command.Options.Add(port);
        command.Options.Add(host);
        command.Options.Add(noOpen);
        command.SetAction(parse => CommandRunner.Run(stderr, () =>
        {
            double? eta = parse.GetValue(lr);
            if (eta is double e && (!double.IsFinite(e) || e < 0)) throw new BackpropException("--lr: expected a finite number ≥ 0");
            var p = problem.Load<double>(parse, eta);
            ProblemOptions.SetMode(p, parse.GetValue(mode)!);
            string name = parse.GetValue(problem.Example) ?? parse.GetValue(problem.Model)!;
            var session = new ExploreSession(p, name);
            // The worked solution first: a problem the engine refuses is refused here, before a page is served.
            session.Solve();
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, args) => { args.Cancel = true; stop.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                var server = ExploreServer.StartAsync(session, parse.GetValue(port), parse.GetValue(host)!).GetAwaiter().GetResult();
                stdout.WriteLine($"backprop explore: {name} at {server.Url}");
                stdout.WriteLine("Ctrl+C stops the server.");
                stdout.Flush();
                if (!parse.GetValue(noOpen)) Open(server.Url, stderr);
                server.WaitAsync(stop.Token).GetAwaiter().GetResult();
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    // The default browser, as xdg-open (Linux), open (macOS) or the shell (Windows) finds it; failing that, the URL stands.
    private static void Open(Uri url, TextWriter stderr)
    {
        try
        {
            var start = OperatingSystem.IsWindows() ? new ProcessStartInfo(url.ToString()) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url.ToString()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            Process.Start(start)?.Dispose();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            stderr.WriteLine($"note: could not open a browser ({e.Message}); open {url} yourself");
        }
    }
}
