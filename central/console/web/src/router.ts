import { createRouter, createWebHashHistory } from 'vue-router';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'home', component: () => import('./views/Home.vue') },
    { path: '/dashboard', name: 'dashboard', component: () => import('./views/Dashboard.vue') },
    { path: '/queue', name: 'queue', component: () => import('./views/Queue.vue') },
    { path: '/cases', name: 'cases', component: () => import('./views/Cases.vue') },
    { path: '/case/:id', name: 'case', component: () => import('./views/CaseDetail.vue'), props: true },
    { path: '/map/:vehicle?', name: 'map', component: () => import('./views/MapView.vue'), props: true },
    { path: '/devices', name: 'devices', component: () => import('./views/Devices.vue') },
    {
      path: '/zones/:gateway?/:camera?',
      name: 'zones',
      component: () => import('./views/Zones.vue'),
      props: true,
    },
    { path: '/models', name: 'models', component: () => import('./views/Models.vue') },
    { path: '/scores', name: 'scores', component: () => import('./views/Scores.vue') },
  ],
});
