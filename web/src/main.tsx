import { render } from 'preact';
import { App } from './app';
import { interceptLinks } from './router';
import './styles.css';

const root = document.getElementById('root')!;
interceptLinks(root);
render(<App />, root);
