#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Export the series as mail: git format-patch files that apply with git am.

  mkseries.py REPO BUILD

Follows series/plan (its header says how). Builds the series as commits in
BUILD/series-git, a git repository of the pristine base, then writes
BUILD/series/ (every patch, with the bpf-next cover letter) and
BUILD/series/bpf/ (the fixes for the bpf tree, with their own). Fails
naming the plan line, patch or part that is wrong.
"""
import os
import shutil
import subprocess
import sys
import tempfile

REPO, BUILD = (os.path.realpath(a) for a in sys.argv[1:3])
BASE = os.path.join(BUILD, 'base')
GIT = os.path.join(BUILD, 'series-git')
OUT = os.path.join(BUILD, 'series')
SERIES = os.path.join(REPO, 'series')
AUTHOR = 'Map History Developers <map-history@example.org>'
PREFIX = {'bpf': 'PATCH bpf', 'bpf-next': 'PATCH bpf-next v2'}


def die(msg):
    sys.exit('mkseries: ' + msg)


def run(*cmd, cwd=None, env=None, inp=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=inp, text=True,
                       capture_output=True)
    if p.returncode:
        die('%s failed:\n%s%s' % (' '.join(cmd), p.stdout, p.stderr))
    return p.stdout


def git(*args, env=None):
    return run('git', '-C', GIT, *args, env=env)


def patch(tree, diff, *flags):
    """Apply a diff to tree exactly (no fuzz) as quilt does."""
    return subprocess.run(['patch', '-p1', '-s', '--fuzz=0',
                           '--no-backup-if-mismatch', *flags, '-d', tree,
                           '-i', diff], capture_output=True, text=True)


def parse_plan():
    """Blocks of (keyword, argument) lines; tree and omit lines apart."""
    blocks, cur, omit, tree = [], None, [], None
    with open(os.path.join(SERIES, 'plan')) as f:
        for n, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                cur = None
                continue
            kw, _, arg = line.partition(' ')
            arg = arg.strip()
            if kw == 'omit':
                omit.append(arg)
                continue
            if kw == 'tree':
                tree = arg
                continue
            if kw not in ('quilt', 'new', 'part', 'msg') or not arg:
                die('series/plan:%d: cannot read "%s"' % (n, line))
            if cur is None:
                cur = {'tree': tree, 'line': n, 'quilt': [], 'new': [],
                       'part': [], 'msg': None}
                blocks.append(cur)
            if kw == 'msg':
                cur['msg'] = arg
            else:
                cur[kw].append(arg)
    return blocks, omit


def check_plan(blocks, omit):
    with open(os.path.join(REPO, 'patches', 'series')) as f:
        quilt = [l.split()[0] for l in f if l.strip() and not l.startswith('#')]
    planned = [q for b in blocks for q in b['quilt']]
    if planned != quilt:
        die('series/plan must name every patch of patches/series once, in '
            'its order:\n  plan:   %s\n  series: %s' % (planned, quilt))
    files = run('git', '-C', REPO, 'ls-files', '-co', '--exclude-standard',
                '--', 'kernel', 'include', 'tools', 'Documentation',
                ':!tools/testing/vm').split()
    placed = [f for b in blocks for f in b['new']] + omit
    for f in sorted(set(files) - set(placed)):
        die('series/plan places no patch for %s (new, or omit)' % f)
    for f in sorted(set(placed) - set(files)):
        die('series/plan names %s, which is not in the repository' % f)
    if len(placed) != len(set(placed)):
        die('series/plan places a file twice')
    for b in blocks:
        if not b['quilt'] and not b['msg']:
            die('series/plan:%d: a patch with no quilt patch needs a msg'
                % b['line'])
        if not b['tree']:
            die('series/plan:%d: no tree line before it' % b['line'])


def states(blocks, tmp):
    """Each new file's content after each block, from the final files back:
    a block's parts are taken out (patch -R) before the block before it."""
    for b in blocks:
        for f in b['new']:
            os.makedirs(os.path.dirname(os.path.join(tmp, f)), exist_ok=True)
            shutil.copy(os.path.join(REPO, f), os.path.join(tmp, f))
    after = [None] * len(blocks)
    for i in range(len(blocks) - 1, -1, -1):
        after[i] = {f: open(os.path.join(tmp, f)).read()
                    for b in blocks[:i + 1] for f in b['new']}
        for part in reversed(blocks[i]['part']):
            p = patch(tmp, os.path.join(SERIES, 'parts', part), '-R')
            if p.returncode:
                die('series/parts/%s does not come out of the final files '
                    '(series/plan:%d): make it again (README, "The series")'
                    '\n%s%s' % (part, blocks[i]['line'], p.stdout, p.stderr))
    return after


def message(b):
    """The header of a msg file or quilt patch: From, Subject, body."""
    if b['msg']:
        text = open(os.path.join(SERIES, 'msg', b['msg'])).read()
    else:
        text = open(os.path.join(REPO, 'patches', b['quilt'][0])).read()
        text = text.split('\n---\n', 1)[0]
    head, _, body = text.partition('\n\n')
    fields = dict(l.split(': ', 1) for l in head.splitlines())
    subject = fields['Subject'].replace('[PATCH] ', '')
    return fields.get('From', AUTHOR), subject + '\n\n' + body.strip() + '\n'


def base_repo():
    """BUILD/series-git: the pristine base committed once, reset each run."""
    stamp = open(os.path.join(BASE, '.mc-stamp')).read().strip()
    mark = os.path.join(GIT, '.git', 'mc-stamp')
    if not os.path.exists(mark) or open(mark).read().strip() != stamp:
        shutil.rmtree(GIT, ignore_errors=True)
        print('mkseries: committing the base to %s (once per base)' % GIT)
        shutil.copytree(BASE, GIT, symlinks=True)
        os.unlink(os.path.join(GIT, '.mc-stamp'))
        git('init', '-q')
        # -f: Debian's .gitignore ignores everything at the top level
        git('add', '-A', '-f')
        git('-c', 'user.name=base', '-c', 'user.email=base@localhost',
            'commit', '-q', '-m', 'linux-source-6.12 ' + stamp)
        git('tag', '-f', 'base')
        open(mark, 'w').write(stamp + '\n')
    git('checkout', '-q', '-f', '-B', 'series', 'base')
    git('clean', '-q', '-f', '-d', '-x')


def commit_blocks(blocks, after):
    date = run('git', '-C', REPO, 'log', '-1', '--format=%cD').strip()
    env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date,
               GIT_COMMITTER_NAME='Map History Developers',
               GIT_COMMITTER_EMAIL='map-history@example.org')
    last = {}
    for i, b in enumerate(blocks):
        for q in b['quilt']:
            p = patch(GIT, os.path.join(REPO, 'patches', q))
            if p.returncode:
                die('patches/%s does not apply at its place in series/plan'
                    '\n%s%s' % (q, p.stdout, p.stderr))
        for f, text in after[i].items():
            path = os.path.join(GIT, f)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as out:
                out.write(text)
            shutil.copymode(os.path.join(REPO, f), path)
        author, msg = message(b)
        git('add', '-A', '-f')
        if not git('status', '--porcelain'):
            die('series/plan:%d: the patch changes nothing' % b['line'])
        run('git', '-C', GIT, 'commit', '-q', '--author', author, '-F', '-',
            env=env, inp=msg)
        last[b['tree']] = git('rev-parse', 'HEAD').strip()
    return last


def export(rev_range, outdir, tree):
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith('.patch'):
            os.unlink(os.path.join(outdir, f))
    git('format-patch', '-q', '--cover-letter', '--subject-prefix',
        PREFIX[tree], '-o', outdir, rev_range)
    cover = os.path.join(outdir, '0000-cover-letter.patch')
    subject, _, body = open(os.path.join(SERIES, tree, 'cover')).read() \
        .partition('\n\n')
    text = open(cover).read()
    text = text.replace('*** SUBJECT HERE ***', subject.strip())
    text = text.replace('*** BLURB HERE ***', body.strip())
    open(cover, 'w').write(text)


def main():
    blocks, omit = parse_plan()
    check_plan(blocks, omit)
    with tempfile.TemporaryDirectory() as tmp:
        after = states(blocks, tmp)
    base_repo()
    last = commit_blocks(blocks, after)
    export('base..series', OUT, 'bpf-next')
    export('base..' + last['bpf'], os.path.join(OUT, 'bpf'), 'bpf')
    n = len(blocks)
    print('mkseries: %s: cover letter and %d patches (git am --empty=drop '
          '%s/*.patch on linux-source-6.12 %s)' % (OUT, n, OUT,
                                                   os.environ.get('MC_BASE_DEB', '')))
    print('mkseries: %s/bpf: the %d fixes for the bpf tree'
          % (OUT, sum(b['tree'] == 'bpf' for b in blocks)))


main()
