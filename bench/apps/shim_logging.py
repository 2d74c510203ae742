"""Stand-in for micropython-lib's `logging`, which tinyweb imports: the unix
port does not freeze it. Copied into the bench tree as logging.py; only the
calls tinyweb makes, printing to stderr."""
import sys


class _Logger:
    def __init__(self, name):
        self.name = name

    def _log(self, level, msg, *args):
        sys.stderr.write("%s:%s:%s\n" % (level, self.name, msg % args if args else msg))

    def debug(self, msg, *args):
        pass

    def info(self, msg, *args):
        pass

    def warning(self, msg, *args):
        self._log("WARNING", msg, *args)

    def error(self, msg, *args):
        self._log("ERROR", msg, *args)

    def exception(self, msg, *args):
        self._log("ERROR", msg, *args)
        e = sys.exc_info()[1]
        if e is not None:
            sys.print_exception(e)

    exc = exception


def getLogger(name=None):
    return _Logger(name or "root")
